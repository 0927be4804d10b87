// Fused attention for prefill (any S, any input_pos): out = softmax(q.K^T*scale + mask).V
// in one pass with an online softmax (running max, rescaled accumulator); no S x C
// buffer (SPLIT: one workgroup per context chunk too, merged by split_kv_reduce). A workgroup serves BR query rows of ONE kv head, packing all g = Hq/Hkv
// query heads that share it (row r -> position r / g, head kvh*g + r % g), so each
// K/V tile is loaded once for g heads. K and V tiles are staged in workgroup memory
// with coalesced vec4 loads along the head dim. Key tiles wholly above the causal
// diagonal of the workgroup's rows are never loaded, nor (WINDOW) tiles wholly left of
// the sliding window of its earliest row.
// Masking is by position (attention_params): a key a row cannot see never enters its max,
// its sum or its P.V, even as 0 * value, so an Inf/NaN there cannot reach the row. The
// scale is folded into the K tile as it is stored in workgroup memory (q.k cannot overflow
// when the scaled score would not; once per tile instead of on every q load: 3.5% on the
// H200). P reaches the P.V loop by subgroup shuffles, or (no fitting subgroups) stored as one vec4
// per key for a thread's 4 rows (one load per key in the P.V loop instead of 4: 4.3%); see p_get below. Sums are two-level: each tile's P.V and row sum are formed apart (BC keys) and
// then added to the running state, so rounding grows with sqrt(BC) + sqrt(tiles).
//
// Generated header constants (array extents must be compile-time in WGSL):
//   D4: head_dim / 4,  WGT: threads per workgroup (256, or 128 for short prompts: twice the
//   workgroups),  TX: threads along keys / head dim (16 or 8; 32 a measurement form; TY = WGT / TX),
//   BC: keys per tile (multiple of TX),  DV: ceil(D4 / TX),  P_SHUFFLE, P_W, p_put, p_get and
//   p_path_all: how the P.V loop gets the probabilities (see p_get below),  TileVec4, tile_load(KvVec4) and
//   tile_unpack(TileVec4): the form a prefetched K/V tile waits in (see fetch_tile),  PREFETCH_K, KNext, k_first,
//   k_tile and k_after: whether the next K tile is loaded into registers a phase ahead (see the tile loop),
//   SINKS and sink_logit(h): the
//   attention sinks, which join each row's denominator after the last tile;  LSE and
//   write_lse(i, v): the log-sum-exp output;  alibi_slope(h): ALiBi slopes (ALIBI);  MASK,
//   mask_visible(s, key), mask_score(score, s, key): an explicit mask (a key the mask hides is
//   invisible like one past the causal limit; every tile takes the per-key path).
//   Q_TILE: whether the workgroup's BR query rows are staged once in workgroup memory (q_stage, q_tile)
//   and the score loop reads them there instead of loading q from memory in every head-dim step of
//   every tile; the launcher then substitutes those reads into this text (flash_prefill.cpp, q_edits),
//   which stays as it is without the tile.
//   FUSED_UPDATE, k_src / v_src, put_new_rows: whether the pass writes this call's k_new / v_new
//   into the cache itself (no separate update pass; only where input_pos is 0) and takes every key
//   from k_new / v_new.
//   SPLIT, chunk_first_tile / chunk_end_tile, put_partial(i, o), put_partial_ml(i, ml): the context is split into p.n_chunks chunks
//   of p.chunk_len keys (whole tiles) from the first row's first visible tile, workgroup z
//   taking chunk z of its row block (FlashDecoding's split, for prompts too short to fill the
//   GPU with row blocks); each row's partial state (running max m, sum l, unnormalised o) goes
//   to the partial buffers, [Hkv, n_chunks, S*g] as split-kv decode writes them, and
//   split_kv_reduce merges them (with the sinks and the LSE, which SPLIT leaves to it). A row
//   with no visible key in the chunk leaves m = LOWEST, l = 0, o = 0 (MASK: m = no_key()).
// Thread (tx, ty) of TX x TY owns rows ty*4..ty*4+3 (BR = 4 * TY rows); in the score
// phase keys tx + TX*j (j < BC/TX); in the output phase head-dim vec4 columns tx + TX*j.
// TX = 8 doubles the rows per workgroup and the work per thread (fewer loads per FMA);
// TX = 16 gives twice the workgroups for short prompts.
// FLOPs (causal): 4 * D * sum over (row, head) of visible keys.
const TY: u32 = WGT / TX;
const BR: u32 = 4u * TY;
const NJ: u32 = BC / TX;
const TWO_CHAINS: bool = D4 > 16u;  // scores in two fma chains past D = 64 (see the score loop)
const KV_STRIDE: u32 = D4 + 1u;  // one vec4 of padding per row: conflict-free column reads
const NL: u32 = (BC * D4 + WGT - 1u) / WGT;  // tile vec4s loaded per invocation

@group(0) @binding(1) var<storage, read> q: array<q_vec4>;  // f32 or packed f16 (generated q_unpack)
// k_cache (binding 2) and v_cache (3): generated, read-only or (FUSED_UPDATE) read_write.
@group(0) @binding(4) var<storage, read_write> out: array<out_vec4>;  // f32 or packed f16 (generated out_pack)

var<workgroup> kv_tile: array<vec4<f32>, BC * KV_STRIDE>;
// The probabilities of the P.V loop (generated p_put / p_get): P_SHUFFLE, each thread keeps its
// own (4 rows x NJ keys, in sc) and the loop takes key k's from the lane that holds it by
// subgroupShuffle (the TX lanes of a row group are one aligned run of a subgroup: lane t % P_W),
// so the tile needs no P buffer and holds more keys (D = 128: 64 instead of 32, half the q
// loads and per-tile steps per FMA; H200, session 10: S=C=2048 1461 -> 1389 us, llama3.2-1b
// 707 -> 617, f32 S=128..1024 1.6-4.6% faster, f16 S=512..1024 0.8-3.2%, f16 S=128
// +3.6%, llama3.2-1b S=512 +1.1%, split contexts 0.9-1.5% slower than the P tile: bench/RESULTS.md); else they go through workgroup memory,
// p_tile[k * TY + (ty ^ (k & P_SWIZZLE))] (P_SWIZZLE: min(8, TY) - 1): the 4 rows of row group ty at tile key k (one vec4 load per
// key; the XOR swizzle keeps the stores conflict-free).
var<workgroup> red: array<vec4<f32>, TY * TX>;  // red[ty * TX + tx]: the 4 rows of (tx, ty)

// Loads a K or V tile into registers (every load issued before any is used); the caller
// stores it into kv_tile once its previous reads are done. Through k_src / v_src (generated):
// the cache, or with FUSED_UPDATE (every key the call's own) k_new / v_new.
// The registers are TileVec4s (generated, see the header): an f16 cache's words (unpacked as
// they are stored) with 64-row tiles, unpacked floats with 128-row ones.
fn fetch_tile(t: u32, kvh: u32, key0: u32, is_v: bool) -> array<TileVec4, NL> {
  var regs: array<TileVec4, NL> = array<TileVec4, NL>();
  for (var n: u32 = 0u; n < NL; n = n + 1u) {
    let i = t + WGT * n;
    let key = key0 + i / D4;
    if (i < BC * D4 && key < p.context_len) {
      let idx = (key * p.kv_heads + kvh) * D4 + i % D4;
      if (is_v) {
        regs[n] = tile_load(v_src(idx));
      } else {
        regs[n] = tile_load(k_src(idx));
      }
    }
  }
  return regs;
}

// The K tile is stored scaled (the softmax scale rides on k instead of on every q load:
// still applied before the dot product, so q.k cannot overflow when the score would not).
fn store_tile_scaled(t: u32, regs: array<TileVec4, NL>, scale: f32) {
  for (var n: u32 = 0u; n < NL; n = n + 1u) {
    let i = t + WGT * n;
    if (i < BC * D4) {
      kv_tile[(i / D4) * KV_STRIDE + i % D4] = tile_unpack(regs[n]) * scale;
    }
  }
}

fn store_tile(t: u32, regs: array<TileVec4, NL>) {
  for (var n: u32 = 0u; n < NL; n = n + 1u) {
    let i = t + WGT * n;
    if (i < BC * D4) {
      kv_tile[(i / D4) * KV_STRIDE + i % D4] = tile_unpack(regs[n]);
    }
  }
}

// One head-dim vec4 of the scores of 4 rows (q0..q3) at one key (kv), each through an fma chain.
fn score_fma(s: vec4<f32>, q0: vec4<f32>, q1: vec4<f32>, q2: vec4<f32>, q3: vec4<f32>, kv: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(fma(q0.w, kv.w, fma(q0.z, kv.z, fma(q0.y, kv.y, fma(q0.x, kv.x, s.x)))),
                   fma(q1.w, kv.w, fma(q1.z, kv.z, fma(q1.y, kv.y, fma(q1.x, kv.x, s.y)))),
                   fma(q2.w, kv.w, fma(q2.z, kv.z, fma(q2.y, kv.y, fma(q2.x, kv.x, s.z)))),
                   fma(q3.w, kv.w, fma(q3.z, kv.z, fma(q3.y, kv.y, fma(q3.x, kv.x, s.w)))));
}

@compute @workgroup_size(TX, TY)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let tx = lid.x;
  let ty = lid.y;
  let t = ty * TX + tx;
  let g = p.q_heads / p.kv_heads;
  let rows_total = p.seq_len * g;
  let nb = (rows_total + BR - 1u) / BR;
  // Longest first: causal row blocks differ in length up to S / BC tiles, and the GPU starts
  // workgroups roughly in grid order, so the last blocks started are the shortest instead of
  // the longest (list scheduling, longest first), with the kv heads of one block adjacent
  // (they read the same cache rows). H200: S=C=512 181 -> 122 us, 2048 1724 -> 1511 us
  // (bench/RESULTS.md, session 7). The remap needs the grid this kernel is launched with.
  var rb: u32 = wg.x;
  var kvh: u32 = wg.y;
  if (nwg.x == nb && nwg.y == p.kv_heads) {
    let lin = wg.y * nb + wg.x;
    rb = nb - 1u - lin / p.kv_heads;
    kvh = lin % p.kv_heads;
  }
  let row0 = rb * BR;

  // This thread's 4 rows: position, head, visible range [lo, vis) (clamped for padding
  // rows; both bounds grow with the row).
  var qbase: array<u32, 4> = array<u32, 4>(0u, 0u, 0u, 0u);
  var lo: array<u32, 4> = array<u32, 4>(0u, 0u, 0u, 0u);
  var vis: array<u32, 4> = array<u32, 4>(0u, 0u, 0u, 0u);
  var slope: vec4<f32> = vec4<f32>(0.0);  // ALiBi: each row's slope and reference key
  var ref_key: array<u32, 4> = array<u32, 4>(0u, 0u, 0u, 0u);
  var srow: array<u32, 4> = array<u32, 4>(0u, 0u, 0u, 0u);  // query row (position - input_pos)
  for (var i: u32 = 0u; i < 4u; i = i + 1u) {
    let r = min(row0 + ty * 4u + i, rows_total - 1u);
    let s = r / g;
    let h = kvh * g + r % g;
    qbase[i] = (s * p.q_heads + h) * D4;
    lo[i] = visible_start(s);
    vis[i] = visible_len(s);
    srow[i] = s;
    if (ALIBI) {
      slope[i] = alibi_slope(h);
      ref_key[i] = alibi_ref_key(slope[i], s);
    }
  }
  // Key tiles any row of this workgroup can see (uniform across the workgroup); SPLIT: those
  // of its chunk (generated chunk_first_tile / chunk_end_tile, the identity without SPLIT: a
  // `var` bound set under `if (SPLIT)` cost the one-pass kernel 2-6% on the H200).
  let last_row = min(row0 + BR, rows_total) - 1u;
  let n_keys = visible_len(last_row / g);
  let n_tiles = chunk_end_tile((n_keys + BC - 1u) / BC, wg.z);
  let first_tile = chunk_first_tile(visible_start(min(row0, rows_total - 1u) / g) / BC, wg.z);

  var m: vec4<f32> = vec4<f32>(LOWEST);
  var l: vec4<f32> = vec4<f32>(0.0);  // partial sums over this thread's keys
  var seen: vec4<f32> = vec4<f32>(0.0);  // MASK: 1 once a row saw a visible key
  var o: array<vec4<f32>, 4u * DV> = array<vec4<f32>, 4u * DV>();
  for (var j: u32 = 0u; j < 4u * DV; j = j + 1u) {
    o[j] = vec4<f32>(0.0);
  }

  // The softmax scale rides on the K tile (one multiply per stored value), unless it exceeds 1
  // in magnitude (SCALE_AFTER): then it multiplies each finished score, so k * scale cannot
  // overflow where the score does not.
  let qscale = select(p.scale, 1.0, SCALE_AFTER);
  // PREFETCH_K: the next K tile waits in registers during the P.V phase (generated k_first / k_tile /
  // k_after); without it each K tile is loaded right before it is stored (KNext a placeholder).
  var k_next: KNext = k_first(t, kvh, first_tile * BC);
  // FUSED_UPDATE: this call's k_new / v_new rows into the cache, spread over every invocation of
  // the grid (the tiles read the keys from k_new / v_new, so nothing waits for these stores).
  put_new_rows(((wg.z * nwg.y + wg.y) * nwg.x + wg.x) * WGT + t, nwg.x * nwg.y * nwg.z * WGT);
  for (var tile: u32 = first_tile; tile < n_tiles; tile = tile + 1u) {
    let key0 = tile * BC;
    store_tile_scaled(t, k_tile(t, kvh, key0, k_next), qscale);
    workgroupBarrier();

    let v_next = fetch_tile(t, kvh, key0, true);  // in flight during the score phase

    // Scores for 4 rows x NJ keys.
    // Each score accumulates through fma chains (no dot() then add: H200 3.9% at S=2048) of at
    // most 128 products: past D=64 (TWO_CHAINS) even and odd head-dim vec4s go to two chains,
    // added at the end. One chain drifted past the fp32 limit at D=256 (H200: max abs 2.44e-6,
    // session 7) and at D=128 (llama3-8b S=64, `check --seed 861`: 2.32e-6; with two chains
    // 9.3e-7 over six seeds' presets), at +7-19% time (H200, bench/RESULTS.md, session 8); D=64
    // stays within it in one chain (8.9e-7).
    var sc: array<vec4<f32>, NJ> = array<vec4<f32>, NJ>();  // sc[j][i]: row i, key tx + TX * j
    for (var j: u32 = 0u; j < NJ; j = j + 1u) {
      sc[j] = vec4<f32>(0.0);
    }
    if (TWO_CHAINS) {
      var sc_odd: array<vec4<f32>, NJ> = array<vec4<f32>, NJ>();
      for (var j: u32 = 0u; j < NJ; j = j + 1u) {
        sc_odd[j] = vec4<f32>(0.0);
      }
      for (var d4: u32 = 0u; d4 < D4; d4 = d4 + 2u) {
        let q0 = q_unpack(q[qbase[0] + d4]);
        let q1 = q_unpack(q[qbase[1] + d4]);
        let q2 = q_unpack(q[qbase[2] + d4]);
        let q3 = q_unpack(q[qbase[3] + d4]);
        for (var j: u32 = 0u; j < NJ; j = j + 1u) {
          sc[j] = score_fma(sc[j], q0, q1, q2, q3, kv_tile[(tx + TX * j) * KV_STRIDE + d4]);
        }
        if (d4 + 1u < D4) {
          let r0 = q_unpack(q[qbase[0] + d4 + 1u]);
          let r1 = q_unpack(q[qbase[1] + d4 + 1u]);
          let r2 = q_unpack(q[qbase[2] + d4 + 1u]);
          let r3 = q_unpack(q[qbase[3] + d4 + 1u]);
          for (var j: u32 = 0u; j < NJ; j = j + 1u) {
            sc_odd[j] = score_fma(sc_odd[j], r0, r1, r2, r3, kv_tile[(tx + TX * j) * KV_STRIDE + d4 + 1u]);
          }
        }
      }
      for (var j: u32 = 0u; j < NJ; j = j + 1u) {
        sc[j] = sc[j] + sc_odd[j];
      }
    } else {
      for (var d4: u32 = 0u; d4 < D4; d4 = d4 + 1u) {
        let q0 = q_unpack(q[qbase[0] + d4]);
        let q1 = q_unpack(q[qbase[1] + d4]);
        let q2 = q_unpack(q[qbase[2] + d4]);
        let q3 = q_unpack(q[qbase[3] + d4]);
        for (var j: u32 = 0u; j < NJ; j = j + 1u) {
          let kv = kv_tile[(tx + TX * j) * KV_STRIDE + d4];
          var s: vec4<f32> = sc[j];
          s.x = fma(q0.w, kv.w, fma(q0.z, kv.z, fma(q0.y, kv.y, fma(q0.x, kv.x, s.x))));
          s.y = fma(q1.w, kv.w, fma(q1.z, kv.z, fma(q1.y, kv.y, fma(q1.x, kv.x, s.y))));
          s.z = fma(q2.w, kv.w, fma(q2.z, kv.z, fma(q2.y, kv.y, fma(q2.x, kv.x, s.z))));
          s.w = fma(q3.w, kv.w, fma(q3.z, kv.z, fma(q3.y, kv.y, fma(q3.x, kv.x, s.w))));
          sc[j] = s;
        }
      }
    }
    var tmax: vec4<f32> = vec4<f32>(LOWEST);
    for (var j: u32 = 0u; j < NJ; j = j + 1u) {
      let key = key0 + tx + TX * j;
      for (var i: u32 = 0u; i < 4u; i = i + 1u) {
        let ok = key >= lo[i] && key < vis[i] && mask_visible(srow[i], key);
        sc[j][i] = select(LOWEST, mask_score(alibi_score(cap_score(scale_after(sc[j][i])), slope[i], key, ref_key[i]),
                                             srow[i], min(key, p.context_len - 1u)), ok);
      }
      tmax = max(tmax, sc[j]);
    }
    red[ty * TX + tx] = tmax;
    workgroupBarrier();  // maxes visible; every read of the K tile done

    var m_new: vec4<f32> = m;
    for (var x: u32 = 0u; x < TX; x = x + 1u) {
      m_new = max(m_new, red[ty * TX + x]);
    }
    let alpha = exp(m - m_new);
    m = m_new;
    var l_t: vec4<f32> = vec4<f32>(0.0);
    for (var j: u32 = 0u; j < NJ; j = j + 1u) {
      let key = key0 + tx + TX * j;
      var pv4: vec4<f32> = vec4<f32>(0.0);
      for (var i: u32 = 0u; i < 4u; i = i + 1u) {
        if (key >= lo[i] && key < vis[i] && mask_visible(srow[i], key)) {
          pv4[i] = exp(sc[j][i] - m_new[i]);
          if (MASK) {
            seen[i] = 1.0;
          }
        }
      }
      l_t = l_t + pv4;
      p_put(tx + TX * j, ty, pv4);
      sc[j] = pv4;  // P_SHUFFLE: the probabilities stay with this thread
    }
    l = l * alpha + l_t;
    store_tile(t, v_next);
    workgroupBarrier();  // probabilities and the V tile are in place
    if (tile + 1u < n_tiles) {
      k_next = k_after(t, kvh, key0 + BC);  // PREFETCH_K: in flight during the PV phase
    }

    var o_t: array<vec4<f32>, 4u * DV> = array<vec4<f32>, 4u * DV>();
    for (var j: u32 = 0u; j < 4u * DV; j = j + 1u) {
      o_t[j] = vec4<f32>(0.0);
    }
    // P_SHUFFLE: every lane of a subgroup takes the same path (its shuffles need the whole
    // row group), the fast one only where all its rows see the whole tile.
    let lane_group = (t % P_W) & ~(TX - 1u);
    if (p_path_all(!MASK && key0 >= lo[3] && key0 + BC <= vis[0])) {
      // Every row of this thread sees the whole tile (vis[0] is the smallest end, lo[3]
      // the largest start; without WINDOW lo is 0).
      // Keys in the order (x, j): P_SHUFFLE takes key x + TX * j from lane x of the row group
      // (sc[j] indexed by the inner loop's constant j); the P buffer in order.
      for (var x: u32 = 0u; x < TX; x = x + 1u) {
       for (var jk: u32 = 0u; jk < NJ; jk = jk + 1u) {
        let k = select(x * NJ + jk, x + TX * jk, P_SHUFFLE);
        let pp = p_get(k, ty, sc[jk], lane_group | x);
        let p0 = pp.x;
        let p1 = pp.y;
        let p2 = pp.z;
        let p3 = pp.w;
        for (var j: u32 = 0u; j < DV; j = j + 1u) {
          let d4 = min(tx + TX * j, D4 - 1u);
          let v = kv_tile[k * KV_STRIDE + d4];
          o_t[j] = o_t[j] + p0 * v;
          o_t[DV + j] = o_t[DV + j] + p1 * v;
          o_t[2u * DV + j] = o_t[2u * DV + j] + p2 * v;
          o_t[3u * DV + j] = o_t[3u * DV + j] + p3 * v;
        }
       }
      }
    } else {
      // The causal diagonal, the window's left edge, the context's end or a mask: a key
      // joins only the rows that see it. select(sum, sum + p * v, visible), not sum +
      // select(0, p * v, visible): the sum and product fuse into an fma (H200, session 15:
      // S=C=128 27.4 -> 25.3 us, 512 128.3 -> 121.8, 2048 1261 -> 1231; bench/RESULTS.md).
      for (var x: u32 = 0u; x < TX; x = x + 1u) {
       for (var jk: u32 = 0u; jk < NJ; jk = jk + 1u) {
        let k = select(x * NJ + jk, x + TX * jk, P_SHUFFLE);
        let key = key0 + k;
        let pp = p_get(k, ty, sc[jk], lane_group | x);
        let p0 = pp.x;
        let p1 = pp.y;
        let p2 = pp.z;
        let p3 = pp.w;
        for (var j: u32 = 0u; j < DV; j = j + 1u) {
          let d4 = min(tx + TX * j, D4 - 1u);
          let v = kv_tile[k * KV_STRIDE + d4];
          o_t[j] = select(o_t[j], o_t[j] + p0 * v, key >= lo[0] && key < vis[0] && mask_visible(srow[0], key));
          o_t[DV + j] = select(o_t[DV + j], o_t[DV + j] + p1 * v, key >= lo[1] && key < vis[1] && mask_visible(srow[1], key));
          o_t[2u * DV + j] = select(o_t[2u * DV + j], o_t[2u * DV + j] + p2 * v, key >= lo[2] && key < vis[2] && mask_visible(srow[2], key));
          o_t[3u * DV + j] = select(o_t[3u * DV + j], o_t[3u * DV + j] + p3 * v, key >= lo[3] && key < vis[3] && mask_visible(srow[3], key));
        }
       }
      }
    }

    for (var j: u32 = 0u; j < DV; j = j + 1u) {
      for (var i: u32 = 0u; i < 4u; i = i + 1u) {
        o[i * DV + j] = o[i * DV + j] * alpha[i] + o_t[i * DV + j];
      }
    }
    workgroupBarrier();  // before the next tile overwrites kv_tile, p_tile, red
  }

  // Row sums: combine the TX partial sums of each row.
  red[ty * TX + tx] = l;
  workgroupBarrier();
  var total: vec4<f32> = vec4<f32>(0.0);
  for (var x: u32 = 0u; x < TX; x = x + 1u) {
    total = total + red[ty * TX + x];
  }
  // MASK: whether each row saw any key (rows the mask empties follow the no_key() rule).
  var any_key: vec4<f32> = vec4<f32>(1.0);
  if (MASK) {
    workgroupBarrier();  // every read of the row sums done
    red[ty * TX + tx] = seen;
    workgroupBarrier();
    any_key = vec4<f32>(0.0);
    for (var x: u32 = 0u; x < TX; x = x + 1u) {
      any_key = max(any_key, red[ty * TX + x]);
    }
  }
  if (SPLIT) {
    // The chunk's partial state of each row, for split_kv_reduce.
    for (var i: u32 = 0u; i < 4u; i = i + 1u) {
      let r = row0 + ty * 4u + i;
      if (r < rows_total) {
        let slot = (kvh * p.n_chunks + wg.z) * rows_total + r;
        if (tx == 0u) {
          put_partial_ml(slot, vec2<f32>(select(m[i], no_key(), MASK && any_key[i] == 0.0), total[i]));
        }
        for (var j: u32 = 0u; j < DV; j = j + 1u) {
          let d4 = tx + TX * j;
          if (d4 < D4) {
            put_partial(slot * D4 + d4, o[i * DV + j]);
          }
        }
      }
    }
    return;
  }
  for (var i: u32 = 0u; i < 4u; i = i + 1u) {
    let r = row0 + ty * 4u + i;
    if (r < rows_total) {
      var inv: f32 = 1.0 / total[i];
      var lse_row: f32 = m[i] + log(total[i]);
      let shift = alibi_offset(slope[i], ref_key[i], r / g);  // 0 without ALIBI
      if (SINKS) {
        // The head's sink logit joins the denominator (no value row): rescale to the
        // larger of the row's max and the sink (on the row's ALiBi-shifted scale).
        var sk: f32 = sink_logit(kvh * g + r % g);
        if (ALIBI) {
          sk = sk - shift;
        }
        let m2 = max(m[i], sk);
        let a = exp_diff(m[i], m2);  // the row's whole weight when the sink dominates: exact to ~1 ulp
        let den = total[i] * a + exp(sk - m2);
        inv = a / den;
        lse_row = m2 + log(den);
      }
      if (ALIBI) {
        lse_row = lse_row + shift;
      }
      if (MASK && any_key[i] == 0.0) {
        // No key: output 0 (o holds zeros), LSE -inf, or the sink alone in the denominator.
        inv = 0.0;
        lse_row = no_key();
        if (SINKS) {
          lse_row = sink_logit(kvh * g + r % g);
        }
      }
      if (LSE && tx == 0u) {
        write_lse(qbase[i] / D4, lse_row);
      }
      for (var j: u32 = 0u; j < DV; j = j + 1u) {
        let d4 = tx + TX * j;
        if (d4 < D4) {
          out[qbase[i] + d4] = out_pack(o[i * DV + j] * inv);
        }
      }
    }
  }
}
