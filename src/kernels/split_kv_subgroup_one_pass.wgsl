// Split-KV decode in one dispatch (the subgroup form's ONE_PASS): the workgroup that finishes a
// kv head's last chunk merges that head's partial states itself (log-sum-exp weights, as
// split_kv_reduce.wgsl), so a call is one dispatch instead of two (a dispatch costs ~2.5 us on
// the H200 before any work: bench/RESULTS.md, session 6). This is the "last block" reduction of
// FlashDecoding-style kernels (and of CUB's single-pass reductions), made safe for WGSL's memory
// model, where every atomic is relaxed and storageBarrier orders memory within a workgroup only:
// a workgroup that sees the arrival counter complete is not guaranteed to see the other
// workgroups' plain stores. So every word of the partial states is itself an atomic, stored as its
// bits + 1 (NaNs as one pattern, so a stored word is never 0): 0 means "not yet visible", and the
// merging workgroup reads such a word again until it is not (its writer executed the store before
// arriving; atomics to one location are coherent). The merging workgroup stores 0 back into every
// word it read, and into the counter, so the next call starts from zeros: the scratch is zero when
// created and is touched by this kernel alone. An o word is read by one thread, which zeroes it as soon
// as its merge has read it (those stores then overlap the rest of the merge: H200, session 14, zeroing
// after the output cost ~0.75 us of a 13.8 us call at C = 4096); (m, l) words, read by every thread of
// their row, are zeroed after a storageBarrier.
// The step's own key (S = 1): the workgroup whose chunk holds input_pos writes k_new / v_new into
// the cache before it reads the chunk (a storageBarrier orders that within the workgroup; no other
// workgroup reads the position), so the key is read back as the cache holds it (rounded to f16 in
// an f16 cache) and passes through the same rules as every other key of a chunk. (Taking that key's
// rows from k_new / v_new instead, patched into its block, saved <= 0.2 us at 2048-4096 keys and cost
// 4 us at 16384 with PREFETCH: H200, session 14, commit 92d3a43.)
// Scratch words, one binding: [0, Hkv) the arrival counters, then (m, l) [Hkv, n_chunks, g, 2] from
// ml0(), then o [Hkv, n_chunks, g, D4, 4] from o0(). Needs a cache in one binding (its windows are
// not generated here).
const ONE_PASS: bool = true;
// Reads of one word before giving up (a writer lost; not seen): the row's output is then NaN, loud
// rather than wrong.
const WAIT_LIMIT: u32 = 1048576u;

@group(0) @binding(2) var<storage, read_write> k_cache: array<KvVec4>;
@group(0) @binding(3) var<storage, read_write> v_cache: array<KvVec4>;
@group(0) @binding(4) var<storage, read_write> part: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read_write> out: array<out_vec4>;  // f32 or packed f16 (generated out_pack)
@group(0) @binding(7) var<storage, read> k_new: array<k_new_vec4>;
@group(0) @binding(9) var<storage, read> v_new: array<v_new_vec4>;

var<workgroup> last_sh: u32;

fn ml0() -> u32 {
  return p.kv_heads;
}

fn o0() -> u32 {
  return p.kv_heads + 2u * p.kv_heads * p.n_chunks * (p.q_heads / p.kv_heads);
}

fn word_of(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  return select(b, 0x7fc00000u, (b & 0x7fffffffu) > 0x7f800000u) + 1u;
}

fn value_of(w: u32) -> f32 {
  return bitcast<f32>(w - 1u);
}

fn put_o(i: u32, v: vec4<f32>) {
  let w = o0() + 4u * i;
  atomicStore(&part[w], word_of(v.x));
  atomicStore(&part[w + 1u], word_of(v.y));
  atomicStore(&part[w + 2u], word_of(v.z));
  atomicStore(&part[w + 3u], word_of(v.w));
}

fn put_ml(i: u32, v: vec2<f32>) {
  atomicStore(&part[ml0() + 2u * i], word_of(v.x));
  atomicStore(&part[ml0() + 2u * i + 1u], word_of(v.y));
}

// A word of the partial states; `wait`: once it is visible (a NaN's word after WAIT_LIMIT reads).
// Without `wait` the loads of a loop stay independent, so they are in flight together.
fn part_word(i: u32, wait: bool) -> u32 {
  var w: u32 = atomicLoad(&part[i]);
  if (wait) {
    for (var n: u32 = 0u; w == 0u && n < WAIT_LIMIT; n = n + 1u) {
      w = atomicLoad(&part[i]);
    }
    w = select(0x7fc00001u, w, w != 0u);
  }
  return w;
}

// The step's key and value into the cache, where the workgroup's chunk holds input_pos.
fn one_pass_start(kvh: u32, t: u32, key_begin: u32, key_end: u32) {
  if (key_begin <= p.input_pos && p.input_pos < key_end) {
    for (var d: u32 = t; d < D4; d = d + WG) {
      let dst = (p.input_pos * p.kv_heads + kvh) * D4 + d;
      k_cache[dst] = kv_pack(k_new_unpack(k_new[kvh * D4 + d]));
      v_cache[dst] = kv_pack(v_new_unpack(v_new[kvh * D4 + d]));
    }
    storageBarrier();
  }
}

struct Merged {
  o: vec4<f32>,
  l: f32,
  m: f32,
  pending: bool,  // a word read was still 0 (not visible yet): read again with `wait`
}

// MB (generated): chunks merged per step: their words are loaded together before any is used, so a
// step costs one round trip to L2 rather than one per chunk (H200, session 12: a loop of one chunk
// per step made the merge ~0.27 us per chunk, C = 4096 15.5 -> 49.6 us per call).

// A state's weight against the max `ref`: exp(m - ref), but 1 where both are no_key() (MASK: a chunk
// or running state with no visible key, whose sums are 0; exp(-inf + inf) would be NaN).
fn weight(m: f32, ref_m: f32) -> f32 {
  if (MASK && bitcast<u32>(m) == bitcast<u32>(no_key()) && bitcast<u32>(ref_m) == bitcast<u32>(no_key())) {
    return 1.0;
  }
  return exp(m - ref_m);
}

fn no_state() -> f32 {
  if (MASK) {
    return no_key();
  }
  return LOWEST;
}

// Row r's head-dim vec4 i over chunks part, part + PARTS, ... (m, l of chunk c at entry first + c * g),
// with log-sum-exp weights as split_kv_reduce.wgsl, but online (MB chunks a step: a running max, the
// sums rescaled when it moves); S = 1. The sink joins in finish_row.
fn merge_row(first: u32, g: u32, i: u32, part: u32, wait: bool) -> Merged {
  var m_run: f32 = no_state();
  var o: vec4<f32> = vec4<f32>(0.0);
  var l: f32 = 0.0;
  var low: u32 = 0xffffffffu;  // the smallest word read: 0 if any was not visible yet
  let n = (p.n_chunks + PARTS - 1u - part) / PARTS;  // this part's chunks
  for (var c0: u32 = 0u; c0 < n; c0 = c0 + MB) {
    var wm: array<u32, MB> = array<u32, MB>();
    var wl: array<u32, MB> = array<u32, MB>();
    var wo: array<vec4<u32>, MB> = array<vec4<u32>, MB>();
    for (var k: u32 = 0u; k < MB; k = k + 1u) {
      let j = first + (part + min(c0 + k, n - 1u) * PARTS) * g;  // past the part's last chunk: the last again, weight 0 below
      wm[k] = part_word(ml0() + 2u * j, wait);
      wl[k] = part_word(ml0() + 2u * j + 1u, wait);
      let o4 = o0() + 4u * (j * D4 + i);
      wo[k] = vec4<u32>(part_word(o4, wait), part_word(o4 + 1u, wait), part_word(o4 + 2u, wait), part_word(o4 + 3u, wait));
    }
    var bm: f32 = m_run;
    for (var k: u32 = 0u; k < MB; k = k + 1u) {
      low = min(low, min(min(wm[k], wl[k]), min(min(wo[k].x, wo[k].y), min(wo[k].z, wo[k].w))));
      if (c0 + k < n) {
        bm = max(bm, value_of(wm[k]));
      }
    }
    let a = weight(m_run, bm);
    o = o * a;
    l = l * a;
    m_run = bm;
    for (var k: u32 = 0u; k < MB; k = k + 1u) {
      if (c0 + k < n) {
        let wt = weight(value_of(wm[k]), bm);
        l = l + wt * value_of(wl[k]);
        o = o + wt * vec4<f32>(value_of(wo[k].x), value_of(wo[k].y), value_of(wo[k].z), value_of(wo[k].w));
      }
    }
  }
  return Merged(o, l, m_run, low == 0u);
}

// Zeroes the o words merge_row(first, g, i, pt, ..) read, once it has read them all (visible): each is
// read by this thread alone, and a store after this thread's read of the same word is ordered after the
// writer's store it read (coherence), so the word ends 0.
fn zero_o_words(first: u32, g: u32, i: u32, pt: u32) {
  let n = (p.n_chunks + PARTS - 1u - pt) / PARTS;
  for (var c: u32 = 0u; c < n; c = c + 1u) {
    let o4 = o0() + 4u * ((first + (pt + c * PARTS) * g) * D4 + i);
    atomicStore(&part[o4], 0u);
    atomicStore(&part[o4 + 1u], 0u);
    atomicStore(&part[o4 + 2u], 0u);
    atomicStore(&part[o4 + 3u], 0u);
  }
}

// Row r's head-dim vec4 i of the output (and its LSE) from its merged state. The sink joins the max
// and the denominator here, through exp_diff as in split_kv_reduce (a dominant sink leaves every
// chunk's weight tiny: kept exact).
fn finish_row(kvh: u32, g: u32, r: u32, i: u32, res: Merged) {
  let h = kvh * g + r;
  var shift: f32 = 0.0;
  if (ALIBI) {
    let slope = alibi_slope(h);
    shift = alibi_offset(slope, alibi_ref_key(slope, 0u), 0u);
  }
  var o: vec4<f32> = res.o;
  var l: f32 = res.l;
  var m_all: f32 = res.m;
  if (SINKS) {
    var sink: f32 = sink_logit(h);
    if (ALIBI) {
      sink = sink - shift;
    }
    m_all = max(res.m, sink);  // the sink is one more logit of the row
    let f = exp_diff(res.m, m_all);
    o = o * f;
    l = l * f + exp(sink - m_all);  // in the denominator only: a sink has no value
  }
  // no key and no sink (bits: NaN-safe)
  let empty = MASK && bitcast<u32>(m_all) == bitcast<u32>(no_key());
  var o_row: vec4<f32> = o / l;
  if (empty) {
    o_row = vec4<f32>(0.0);
  }
  out[h * D4 + i] = out_pack(o_row);
  if (LSE && i == 0u) {
    var lse_row: f32 = m_all + log(l);
    if (ALIBI) {
      lse_row = lse_row + shift;
    }
    if (empty) {
      lse_row = no_key();
    }
    write_lse(h, lse_row);
  }
}

// PARTS (generated: max(1, WG / (g D4))): where the workgroup has more threads than the head has
// (row, vec4) items, the chunks are dealt out to PARTS threads per item (chunk c to part c % PARTS),
// each merging its share, and the parts' states are merged through workgroup memory: fewer steps of
// loads in a row.
var<workgroup> part_m_sh: array<f32, PARTS_SH>;
var<workgroup> part_l_sh: array<f32, PARTS_SH>;
var<workgroup> part_o_sh: array<vec4<f32>, PARTS_SH>;

fn merge_chunks(kvh: u32, t: u32) {
  let g = p.q_heads / p.kv_heads;
  let items = g * D4;
  let first0 = kvh * p.n_chunks * g;
  if (PARTS == 1u) {
    for (var x: u32 = t; x < items; x = x + WG) {
      var res = merge_row(first0 + x / D4, g, x % D4, 0u, false);
      if (res.pending) {
        res = merge_row(first0 + x / D4, g, x % D4, 0u, true);
      }
      zero_o_words(first0 + x / D4, g, x % D4, 0u);
      finish_row(kvh, g, x / D4, x % D4, res);
    }
  } else {
    // items * PARTS <= WG: at most one (item, part) per thread
    if (t < items * PARTS) {
      var res = merge_row(first0 + (t % items) / D4, g, t % D4, t / items, false);
      if (res.pending) {
        res = merge_row(first0 + (t % items) / D4, g, t % D4, t / items, true);
      }
      zero_o_words(first0 + (t % items) / D4, g, t % D4, t / items);
      part_m_sh[t] = res.m;
      part_l_sh[t] = res.l;
      part_o_sh[t] = res.o;
    }
    workgroupBarrier();
    if (t < items) {
      var bm: f32 = no_state();
      for (var k: u32 = 0u; k < PARTS; k = k + 1u) {
        bm = max(bm, part_m_sh[k * items + t]);
      }
      var o: vec4<f32> = vec4<f32>(0.0);
      var l: f32 = 0.0;
      for (var k: u32 = 0u; k < PARTS; k = k + 1u) {
        let wt = weight(part_m_sh[k * items + t], bm);
        l = l + wt * part_l_sh[k * items + t];
        o = o + wt * part_o_sh[k * items + t];
      }
      finish_row(kvh, g, t / D4, t % D4, Merged(o, l, bm, false));
    }
  }
  storageBarrier();  // every read of the (m, l) words is done before any is zeroed (storage memory: not only execution)
  // Back to zeros for the next call (the o words were zeroed by their readers).
  for (var x: u32 = t; x < p.n_chunks * g * 2u; x = x + WG) {
    atomicStore(&part[ml0() + 2u * first0 + x], 0u);
  }
  if (t == 0u) {
    atomicStore(&part[kvh], 0u);
  }
}

// After the workgroup's partial states are stored (the caller's last workgroupBarrier): arrive at
// the kv head's counter; the last of its n_chunks workgroups merges.
fn one_pass_finish(kvh: u32, t: u32) {
  if (t == 0u) {
    last_sh = select(0u, 1u, atomicAdd(&part[kvh], 1u) + 1u == p.n_chunks);
  }
  if (workgroupUniformLoad(&last_sh) != 0u) {
    merge_chunks(kvh, t);
  }
}
