// Split-KV decode, stage 1 (FlashDecoding), for one new token (S = 1): the subgroup form.
// Same chunks, grid and partial states ([Hkv, n_chunks, g] m, l, o) as split_kv_decode.wgsl,
// merged by the same split_kv_reduce (split_kv_subgroup_two_pass.wgsl), or, with ONE_PASS
// (split_kv_subgroup_one_pass.wgsl), by the last workgroup of each kv head in this dispatch;
// what differs is how a workgroup walks its chunk.
// Each subgroup (W lanes, the adapter's fixed width) works alone through its own blocks of
// KI keys: no workgroup memory and no barrier in the key loop, so its loads are not held
// back by other subgroups' arithmetic. The W lanes share each key's head dim, DL vec4s
// each, and the g query rows live in registers:
//   1. every lane issues the loads of the block's KI keys (K and V, DL vec4s each) at once
//      (PREFETCH: those of its next block, before this one's arithmetic);
//   2. it forms N = KI * ROWS partial dot products over its head-dim slice;
//   3. lane_sum (generated) adds them across the lanes by a transposing butterfly: each
//      stage sends half of the values and keeps half (about N shuffles instead of
//      N * log2(W)), leaving lane l with VPL scores: values v = (l >> SHIFT) * VPL + u of
//      the block (key v / ROWS, row v % ROWS), all of one key;
//   4. one online-softmax step per block and row, then P.V: each lane takes the block's
//      KI * ROWS probabilities by subgroupShuffle and accumulates its head-dim slice. LAZY:
//      the running max (shuffles over the lanes holding the row) moves, and the sums and
//      accumulators are rescaled, only in blocks where a score passes it by more than
//      LAZY_MARGIN (FlashAttention-4's conditional rescaling); each lane keeps its own part
//      of the row sum, added over the row's lanes once at the chunk's end. H200 (session 10):
//      f32 1.7-2.1% faster from C = 16384, f16 within 1% (bench/RESULTS.md).
// At the chunk's end the NSG subgroups are merged in workgroup memory with log-sum-exp
// weights. NSG is 4, or 8 or 16 with chunks as many times longer where that lets one dispatch
// run with 8 to 16 chunks per kv head (split_kv.cpp, subgroups_per_workgroup; session 13). H200 (bench/RESULTS.md, session 9): 94 registers with the f16 cache against the
// tile form's 150, which fits 5-6 workgroups per SM instead of 3; llama3-8b C = 131072 in 153
// instead of 302 us (f16 cache), 251 instead of 328 (f32: 99% of the read floor). Key groups
// (KG > 1, below) serve head dims below 4 W: llama3.2-1b (D = 64) 2.0-3.4x faster than the
// tile form (session 11); with D = 128 they were 17-24% slower than KG = 1.
// Visibility (attention_params): with S = 1 every row sees the same keys; the chunks start at
// visible_start(0) and end at the context's end (FUSED: at input_pos, the merge pass takes
// the step's own key); an explicit mask hides keys per position. A key no row can see is
// never loaded (K and V stay 0 and its probability 0), so an Inf/NaN there cannot reach a
// row; a visible key's exp(score - max) is never skipped.
// The scale is folded into q (loaded once) unless it exceeds 1 in magnitude (SCALE_AFTER).
// Subgroup lanes are taken as invocation t % W of subgroup t / W (a one-dimensional
// workgroup of NSG * W invocations, the adapter reporting one width W): reading the width
// or lane id at run time cost split-kv 2x on the H200 (bench/RESULTS.md).
// Generated header constants: FUSED (two passes: the merge takes the step's own key), PREFETCH (see the key loop), LAZY and LAZY_MARGIN (natural-log units), D4, ROWS (g rounded up to a power of two, at most W),
// W, NSG, LK lanes per key and KG = W / LK key groups (KG > 1: the subgroup's lanes split into KG
// groups of LK, each taking its own keys of a block, so a block reads KG keys per load instruction
// and its sums run over LK lanes; the groups' accumulators are added at the chunk's end),
// DL = D4 / LK vec4s per lane, KI keys per group per block (at most LK), N = KI * ROWS,
// VPL = max(N / LK, 1) values per lane after the sums, SHIFT = log2(LK / N) where N < LK (else
// 0), ROW_BIT0 = the first lane bit that is not the held rows' (1 << (SHIFT + log2(ROWS / VPL))),
// RB: rows merged per round at the end, TPI: threads per (row, vec4) item adding the subgroups' values in
// that merge, lane_sum(): step 3.
// Bytes (the floor): K and V of the context, read once per kv head.
enable subgroups;

const WG: u32 = NSG * W;

@group(0) @binding(1) var<storage, read> q: array<q_vec4>;  // f32 or packed f16 (generated q_unpack)
// k_cache, v_cache, the partial states and the hooks one_pass_start / one_pass_finish / put_o /
// put_ml: split_kv_subgroup_two_pass.wgsl (merged by split_kv_reduce) or
// split_kv_subgroup_one_pass.wgsl (ONE_PASS: merged here by the last workgroup of each kv head).

var<workgroup> m_sh: array<f32, NSG * ROWS>;
var<workgroup> l_sh: array<f32, NSG * ROWS>;
var<workgroup> seen_sh: array<f32, NSG * ROWS>;
var<workgroup> o_sh: array<vec4<f32>, NSG * RB * D4>;

// One block of KI * KG keys: each lane's DL vec4s of the K and V rows of its KI keys (j * KG + kg). A key past key_end or
// hidden by the mask is not loaded (zeros), so an Inf/NaN there cannot reach a row.
struct KvBlock {
  k: array<KvVec4, KI * DL>,
  v: array<KvVec4, KI * DL>,
}

fn load_block(blk0: u32, key_end: u32, kvh: u32, kg: u32, kl: u32) -> KvBlock {
  var b: KvBlock = KvBlock();
  for (var j: u32 = 0u; j < KI; j = j + 1u) {
    let key = blk0 + j * KG + kg;
    if (key < key_end && mask_visible(0u, key)) {
      for (var i: u32 = 0u; i < DL; i = i + 1u) {
        let idx = (key * p.kv_heads + kvh) * D4 + kl + LK * i;
        b.k[j * DL + i] = k_vec(idx);
        b.v[j * DL + i] = v_vec(idx);
      }
    }
  }
  return b;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let lin = wg.y * p.n_chunks + wg.x;
  let chunk = lin / p.kv_heads;  // kv heads fastest, as in split_kv_decode.wgsl
  let kvh = lin % p.kv_heads;
  let g = p.q_heads / p.kv_heads;
  let key_begin = visible_start(0u) + chunk * p.chunk_len;
  let key_end = min(key_begin + p.chunk_len, select(visible_len(0u), p.input_pos, FUSED));
  one_pass_start(kvh, t, key_begin, key_end);  // ONE_PASS: the step's own key into the cache first

  let sg = t / W;
  let lane = t % W;
  let kg = lane / LK;   // key group: this lane's keys are j * KG + kg of each block
  let kl = lane % LK;   // head-dim vec4s kl + LK * i, i < DL
  let kg0 = lane & ~(LK - 1u);  // the key group's first lane
  // After lane_sum this lane holds VPL values of one key of its group's part of the block: key my_key, rows
  // my_row0 + u (u < VPL).
  let my_v = (kl >> SHIFT) * VPL;
  let my_key = my_v / ROWS;
  let my_row0 = my_v % ROWS;

  var qr: array<vec4<f32>, ROWS * DL> = array<vec4<f32>, ROWS * DL>();
  for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
    let h = kvh * g + min(r, g - 1u);  // padding rows repeat the last one; never written
    for (var i: u32 = 0u; i < DL; i = i + 1u) {
      qr[r * DL + i] = q_unpack(q[h * D4 + kl + LK * i]) * select(p.scale, 1.0, SCALE_AFTER);
    }
  }
  var slope: array<f32, VPL> = array<f32, VPL>();  // ALiBi: each held row's slope and reference key
  var ref_key: array<u32, VPL> = array<u32, VPL>();
  var m: array<f32, VPL> = array<f32, VPL>();     // running max of each held row (the same in every lane of the row)
  var l: array<f32, VPL> = array<f32, VPL>();     // this lane's part of that row's running sum (added over the row's lanes at the end)
  var seen: array<f32, VPL> = array<f32, VPL>();  // MASK: 1 once this lane saw a visible key of the row (combined at the end)
  for (var u: u32 = 0u; u < VPL; u = u + 1u) {
    slope[u] = alibi_slope(kvh * g + min(my_row0 + u, g - 1u));
    ref_key[u] = alibi_ref_key(slope[u], 0u);
    m[u] = LOWEST;
    l[u] = 0.0;
    seen[u] = 0.0;
  }
  var acc: array<vec4<f32>, ROWS * DL> = array<vec4<f32>, ROWS * DL>();
  for (var j: u32 = 0u; j < ROWS * DL; j = j + 1u) {
    acc[j] = vec4<f32>(0.0);
  }

  // A workgroup-uniform trip count (subgroup operations stay in uniform control flow); the
  // chunk's last blocks may be partly or wholly past key_end.
  let n_blocks = (key_end - key_begin + NSG * KI * KG - 1u) / (NSG * KI * KG);
  // PREFETCH: the next block's loads are issued before this block's arithmetic, so they are
  // in flight while it runs (twice the K/V registers).
  var nxt: KvBlock = KvBlock();
  if (PREFETCH) {
    nxt = load_block(key_begin + sg * KI * KG, key_end, kvh, kg, kl);
  }
  for (var it: u32 = 0u; it < n_blocks; it = it + 1u) {
    let blk0 = key_begin + (it * NSG + sg) * KI * KG;
    var cur: KvBlock = nxt;
    if (PREFETCH) {
      if (it + 1u < n_blocks) {
        nxt = load_block(blk0 + NSG * KI * KG, key_end, kvh, kg, kl);
      }
    } else {
      cur = load_block(blk0, key_end, kvh, kg, kl);
    }
    var part: array<f32, N> = array<f32, N>();
    for (var j: u32 = 0u; j < KI; j = j + 1u) {
      for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
        var d: f32 = 0.0;
        for (var i: u32 = 0u; i < DL; i = i + 1u) {
          d = d + dot(qr[r * DL + i], kv_unpack(cur.k[j * DL + i]));
        }
        part[j * ROWS + r] = d;
      }
    }
    let raw = lane_sum(part, kl);

    let key = blk0 + my_key * KG + kg;
    let key_ok = key < key_end && mask_visible(0u, key);
    var score: array<f32, VPL> = array<f32, VPL>();
    var ok: array<bool, VPL> = array<bool, VPL>();
    var grows: bool = false;  // LAZY: a held score exceeds its row's max by more than LAZY_MARGIN
    for (var u: u32 = 0u; u < VPL; u = u + 1u) {
      ok[u] = key_ok && my_row0 + u < g;
      score[u] = LOWEST;
      if (ok[u]) {
        score[u] = mask_score(alibi_score(cap_score(scale_after(raw[u])), slope[u], key, ref_key[u]), 0u, key);
        grows = grows || score[u] > m[u] + LAZY_MARGIN;
      }
      if (MASK) {
        seen[u] = max(seen[u], select(0.0, 1.0, ok[u]));  // per lane; combined over the row's lanes at the end
      }
    }
    // The running max moves (and the sums and accumulators are rescaled) only when a score
    // passes it by more than LAZY_MARGIN, so most blocks skip the row max and the rescale
    // (FlashAttention-4's conditional rescaling); a probability is then at most
    // e^LAZY_MARGIN (and a visible key's exp is always taken). Without LAZY (margin 0 semantics) every
    // block takes the max. l is a per-lane partial sum, added over the row's lanes at the end.
    // subgroupAny is the same in every lane of the subgroup, which WGSL's analysis (workgroup
    // scope) cannot see: the shuffles inside stay in subgroup-uniform control flow.
    @diagnostic(off, subgroup_uniformity) if (!LAZY || subgroupAny(grows)) {
      var alpha: array<f32, VPL> = array<f32, VPL>();
      for (var u: u32 = 0u; u < VPL; u = u + 1u) {
        var bm: f32 = score[u];
        for (var o: u32 = ROW_BIT0; o < W; o = o * 2u) {
          bm = max(bm, subgroupShuffleXor(bm, o));
        }
        let m_new = max(m[u], bm);
        alpha[u] = exp(m[u] - m_new);
        l[u] = l[u] * alpha[u];
        m[u] = m_new;
      }
      for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
        let a = subgroupShuffle(alpha[r % VPL], (r / VPL) << SHIFT);
        for (var i: u32 = 0u; i < DL; i = i + 1u) {
          acc[r * DL + i] = acc[r * DL + i] * a;
        }
      }
    }
    var pr: array<f32, VPL> = array<f32, VPL>();
    for (var u: u32 = 0u; u < VPL; u = u + 1u) {
      var pv: f32 = 0.0;
      if (ok[u]) {
        pv = exp(score[u] - m[u]);
      }
      pr[u] = pv;
      l[u] = l[u] + pv;
    }

    for (var j: u32 = 0u; j < KI; j = j + 1u) {
      for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
        let pj = subgroupShuffle(pr[r % VPL], kg0 | (((j * ROWS + r) / VPL) << SHIFT));
        for (var i: u32 = 0u; i < DL; i = i + 1u) {
          acc[r * DL + i] = acc[r * DL + i] + pj * kv_unpack(cur.v[j * DL + i]);
        }
      }
    }
  }

  // KG > 1: each key group summed its own keys; add the groups' accumulators (same head-dim slices).
  for (var o: u32 = LK; o < W; o = o * 2u) {
    for (var j: u32 = 0u; j < ROWS * DL; j = j + 1u) {
      acc[j] = acc[j] + subgroupShuffleXor(acc[j], o);
    }
  }

  // The row sums (and MASK's seen flags) are per lane: add them over the row's lanes.
  for (var u: u32 = 0u; u < VPL; u = u + 1u) {
    for (var o: u32 = ROW_BIT0; o < W; o = o * 2u) {
      l[u] = l[u] + subgroupShuffleXor(l[u], o);
      if (MASK) {
        seen[u] = max(seen[u], subgroupShuffleXor(seen[u], o));
      }
    }
  }

  // Merge the subgroups, RB rows per round: lane (r / VPL) << SHIFT (key 0) holds row r's m and l.
  if (kg == 0u && my_key == 0u && (kl & ((1u << SHIFT) - 1u)) == 0u) {
    for (var u: u32 = 0u; u < VPL; u = u + 1u) {
      m_sh[sg * ROWS + my_row0 + u] = m[u];
      l_sh[sg * ROWS + my_row0 + u] = l[u];
      seen_sh[sg * ROWS + my_row0 + u] = seen[u];
    }
  }
  workgroupBarrier();
  let base = (kvh * p.n_chunks + chunk) * g;
  for (var r0: u32 = 0u; r0 < ROWS; r0 = r0 + RB) {
    // Every row, so that acc is indexed by constants (a round's row as an index put acc in local
    // memory where RB < ROWS on the H200: session 13); only the round's rows are stored.
    for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
      if (r >= r0 && r < r0 + RB) {
        var mr: f32 = LOWEST;
        for (var s: u32 = 0u; s < NSG; s = s + 1u) {
          mr = max(mr, m_sh[s * ROWS + r]);
        }
        let w_own = exp(m_sh[sg * ROWS + r] - mr);
        if (kg == 0u) {
          for (var i: u32 = 0u; i < DL; i = i + 1u) {
            o_sh[(sg * RB + r - r0) * D4 + kl + LK * i] = acc[r * DL + i] * w_own;
          }
        }
      }
    }
    workgroupBarrier();
    if (TPI == 1u) {
      for (var x: u32 = t; x < RB * D4; x = x + WG) {
        let r = r0 + x / D4;
        if (r < g) {
          var sum: vec4<f32> = vec4<f32>(0.0);
          for (var s: u32 = 0u; s < NSG; s = s + 1u) {
            sum = sum + o_sh[s * RB * D4 + x];
          }
          put_o((base + r) * D4 + x % D4, sum);
        }
      }
    } else {
      // TPI adjacent lanes per (row, vec4) item (RB * D4 * TPI <= WG: one item per thread group), each adding
      // the subgroups s = j, j + TPI, ...; then their sums by shuffles (every lane takes part: uniform).
      let x = t / TPI;
      let j = t % TPI;
      let r = r0 + x / D4;
      let mine = x < RB * D4 && r < g;
      var sum: vec4<f32> = vec4<f32>(0.0);
      if (mine) {
        for (var s: u32 = j; s < NSG; s = s + TPI) {
          sum = sum + o_sh[s * RB * D4 + x];
        }
      }
      for (var o: u32 = 1u; o < TPI; o = o * 2u) {
        sum = sum + subgroupShuffleXor(sum, o);
      }
      if (mine && j == 0u) {
        put_o((base + r) * D4 + x % D4, sum);
      }
    }
    if (t < RB && r0 + t < g) {
      let r = r0 + t;
      var mr: f32 = LOWEST;
      for (var s: u32 = 0u; s < NSG; s = s + 1u) {
        mr = max(mr, m_sh[s * ROWS + r]);
      }
      var lr: f32 = 0.0;
      var any_key: f32 = 0.0;
      for (var s: u32 = 0u; s < NSG; s = s + 1u) {
        lr = lr + l_sh[s * ROWS + r] * exp(m_sh[s * ROWS + r] - mr);
        any_key = max(any_key, seen_sh[s * ROWS + r]);
      }
      // MASK: a row that saw no key in this chunk carries m = no_key() (attention_params).
      put_ml(base + r, vec2<f32>(select(mr, no_key(), MASK && any_key == 0.0), lr));
    }
    workgroupBarrier();
  }
  one_pass_finish(kvh, t);  // ONE_PASS: the kv head's last workgroup merges its chunks
}
