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
// created and is touched by this kernel alone.
// The step's own key (S = 1): the workgroup whose chunk holds input_pos writes k_new / v_new into
// the cache before it reads the chunk (a storageBarrier orders that within the workgroup; no other
// workgroup reads the position), so the key is read back as the cache holds it (rounded to f16 in
// an f16 cache) and passes through the same rules as every other key of a chunk.
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

// Chunks merged per step: their words are loaded together before any is used, so a step costs one
// round trip to L2 rather than one per chunk (H200, session 12: a loop of one chunk per step made
// the merge ~0.27 us per chunk, C = 4096 15.5 -> 49.6 us per call).
const MB: u32 = 8u;

// A state's weight against the max `ref`: exp(m - ref), but 1 where both are no_key() (MASK: a chunk
// or running state with no visible key, whose sums are 0; exp(-inf + inf) would be NaN).
fn weight(m: f32, ref_m: f32) -> f32 {
  if (MASK && bitcast<u32>(m) == bitcast<u32>(no_key()) && bitcast<u32>(ref_m) == bitcast<u32>(no_key())) {
    return 1.0;
  }
  return exp(m - ref_m);
}

// Row r's head-dim vec4 i over the n chunks (m, l of chunk c at entry first + c * g), with
// log-sum-exp weights as split_kv_reduce.wgsl, but online (MB chunks a step: a running max, the sums
// rescaled when it moves); S = 1. The sink joins the max and the denominator at the end, through
// exp_diff as in split_kv_reduce (a dominant sink leaves every chunk's weight tiny: kept exact).
fn merge_row(first: u32, g: u32, i: u32, sink: f32, wait: bool) -> Merged {
  var m_run: f32 = LOWEST;
  if (MASK) {
    m_run = no_key();
  }
  var o: vec4<f32> = vec4<f32>(0.0);
  var l: f32 = 0.0;
  var low: u32 = 0xffffffffu;  // the smallest word read: 0 if any was not visible yet
  for (var c0: u32 = 0u; c0 < p.n_chunks; c0 = c0 + MB) {
    var wm: array<u32, MB> = array<u32, MB>();
    var wl: array<u32, MB> = array<u32, MB>();
    var wo: array<vec4<u32>, MB> = array<vec4<u32>, MB>();
    for (var k: u32 = 0u; k < MB; k = k + 1u) {
      let j = first + min(c0 + k, p.n_chunks - 1u) * g;  // past the last chunk: the last again, weight 0 below
      wm[k] = part_word(ml0() + 2u * j, wait);
      wl[k] = part_word(ml0() + 2u * j + 1u, wait);
      let o4 = o0() + 4u * (j * D4 + i);
      wo[k] = vec4<u32>(part_word(o4, wait), part_word(o4 + 1u, wait), part_word(o4 + 2u, wait), part_word(o4 + 3u, wait));
    }
    var bm: f32 = m_run;
    for (var k: u32 = 0u; k < MB; k = k + 1u) {
      low = min(low, min(min(wm[k], wl[k]), min(min(wo[k].x, wo[k].y), min(wo[k].z, wo[k].w))));
      if (c0 + k < p.n_chunks) {
        bm = max(bm, value_of(wm[k]));
      }
    }
    let a = weight(m_run, bm);
    o = o * a;
    l = l * a;
    m_run = bm;
    for (var k: u32 = 0u; k < MB; k = k + 1u) {
      if (c0 + k < p.n_chunks) {
        let wt = weight(value_of(wm[k]), bm);
        l = l + wt * value_of(wl[k]);
        o = o + wt * vec4<f32>(value_of(wo[k].x), value_of(wo[k].y), value_of(wo[k].z), value_of(wo[k].w));
      }
    }
  }
  var m_all: f32 = m_run;
  if (SINKS) {
    m_all = max(m_run, sink);  // the sink is one more logit of the row
    let f = exp_diff(m_run, m_all);
    o = o * f;
    l = l * f + exp(sink - m_all);  // in the denominator only: a sink has no value
  }
  return Merged(o, l, m_all, low == 0u);
}

fn merge_chunks(kvh: u32, t: u32) {
  let g = p.q_heads / p.kv_heads;
  let first0 = kvh * p.n_chunks * g;
  for (var x: u32 = t; x < g * D4; x = x + WG) {
    let r = x / D4;
    let i = x % D4;
    let h = kvh * g + r;
    var shift: f32 = 0.0;
    if (ALIBI) {
      let slope = alibi_slope(h);
      shift = alibi_offset(slope, alibi_ref_key(slope, 0u), 0u);
    }
    var sink: f32 = 0.0;
    if (SINKS) {
      sink = sink_logit(h);
      if (ALIBI) {
        sink = sink - shift;
      }
    }
    var res = merge_row(first0 + r, g, i, sink, false);
    if (res.pending) {
      res = merge_row(first0 + r, g, i, sink, true);
    }
    // no key and no sink (bits: NaN-safe)
    let empty = MASK && bitcast<u32>(res.m) == bitcast<u32>(no_key());
    var o_row: vec4<f32> = res.o / res.l;
    if (empty) {
      o_row = vec4<f32>(0.0);
    }
    out[h * D4 + i] = out_pack(o_row);
    if (LSE && i == 0u) {
      var lse_row: f32 = res.m + log(res.l);
      if (ALIBI) {
        lse_row = lse_row + shift;
      }
      if (empty) {
        lse_row = no_key();
      }
      write_lse(h, lse_row);
    }
  }
  storageBarrier();  // every read above is done before any word is zeroed (storage memory: not only execution)
  // Back to zeros for the next call (every word of this kv head was read above).
  for (var x: u32 = t; x < p.n_chunks * g * 2u; x = x + WG) {
    atomicStore(&part[ml0() + 2u * first0 + x], 0u);
  }
  for (var x: u32 = t; x < p.n_chunks * g * D4 * 4u; x = x + WG) {
    atomicStore(&part[o0() + 4u * first0 * D4 + x], 0u);
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
