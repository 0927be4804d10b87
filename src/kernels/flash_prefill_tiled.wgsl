// Fused attention for prefill (any S, any input_pos), register-tiled (issue #12):
// out = softmax(q.K^T*scale + mask).V with an online softmax, like flash_prefill.wgsl, but
// organised as two small GEMMs per key tile so each workgroup-memory load feeds more FMAs:
//   S = Q K^T: Q [BR, DK] and K [BC, DK] chunks of the head dim staged in workgroup memory
//     (double-buffered: chunk c+1 is fetched into registers while chunk c is computed),
//     each thread accumulating a TM x TN block of scores over the D/DK chunks;
//   O += P V: 16 keys at a time, the probabilities P [BR, 16] and values V [16, D] staged
//     (double-buffered), each thread accumulating TM rows x DV head-dim vec4s.
// A workgroup serves BR query rows of ONE kv head, packing all g = Hq/Hkv query heads that
// share it (row r -> position r / g, head kvh*g + r % g), so K/V are loaded once for g heads.
// Key tiles wholly above the causal diagonal or wholly left of the window of every row of
// the workgroup are never loaded. A tile every row sees whole (a uniform test) runs the
// mask-free path; the others (diagonal, window edge, context end) decide each (row, key)
// by position with selects in constant-trip loops (a data-dependent loop bound there cost
// the old kernel 4.8x on the H200).
// Masking is by position (attention_params): a key a row cannot see never enters its max,
// its sum or its P.V, even as 0 * value. Scores are kept in log2 units: log2(e) is folded
// into the scale as q is staged, so every exponential is an exp2; soft-cap, sinks and the
// log-sum-exp convert at their ends. Sums are two-level (each tile's P.V and row sum apart,
// then added to the running state), as in flash_prefill.wgsl, for long contexts.
//
// Generated header constants (array extents must be compile-time in WGSL):
//   D4: head_dim / 4,  TM: rows per thread (BR = 16 * TM),  TN: keys per thread in the score
//   phase (BC = 16 * TN),  DK4: head-dim vec4s per staged chunk,  SBUF / PBUF: 1 or 2 buffers
//   of the score / P.V phase (2: one barrier per chunk; 1 when two do not fit),
//   SINKS, sink_logit(h), LSE, write_lse(i, v), q_vec4 / q_unpack, out_vec4 / out_pack: as in
//   flash_prefill.wgsl.
// 256 threads: thread t is row group ry and key group kx (16 x 16), 4 row groups x 8 key
// groups per 32-wide warp so a vec4 load of q reads 4 addresses and one of K 8 (one
// 128-byte wavefront each on NVIDIA). It owns rows ry + 16*i (i < TM), score keys
// kx + 16*j (j < TN) and output head-dim vec4s kx + 16*jj (jj < DV).
// FLOPs (causal): 4 * D * sum over (row, head) of visible keys.
const RG: u32 = 16u;  // row groups
const KG: u32 = 16u;  // key groups in the score phase; keys per P.V chunk; head-dim groups in P.V
const BR: u32 = RG * TM;
const BC: u32 = KG * TN;
const NCH: u32 = (D4 + DK4 - 1u) / DK4;  // head-dim chunks of the score phase
const DV: u32 = (D4 + KG - 1u) / KG;     // output vec4s per row and thread
const CS: u32 = DK4 + 1u;                // stride of a staged q / k row (one vec4 of padding)
const SCB: u32 = (BR + BC) * CS;         // one score buffer: Q chunk, then K chunk
const PS: u32 = KG / 4u + 1u;            // stride of a P row (16 keys and one vec4 of padding)
const PVB: u32 = BR * PS + KG * D4;      // one P.V buffer: P chunk, then V chunk
const SMEM: u32 = max(SBUF * SCB, PBUF * PVB);  // the two phases share the memory
const QL: u32 = (BR * DK4 + 255u) / 256u;  // q chunk vec4s fetched per thread
const KL: u32 = (BC * DK4 + 255u) / 256u;  // k chunk vec4s fetched per thread
const VL: u32 = (KG * D4 + 255u) / 256u;   // v chunk vec4s fetched per thread
const LOG2E: f32 = 1.4426950408889634;
const LN2: f32 = 0.6931471805599453;

@group(0) @binding(1) var<storage, read> q: array<q_vec4>;  // f32 or packed f16 (generated q_unpack)
// k_cache (binding 2) and v_cache (3): generated, read-only (this kernel never fuses the cache update).
@group(0) @binding(4) var<storage, read_write> out: array<out_vec4>;  // f32 or packed f16 (generated out_pack)

var<workgroup> smem: array<vec4<f32>, SMEM>;
var<workgroup> red: array<vec4<f32>, BR * KG / 4u>;  // per (row, key group): a max or a sum

struct Chunk {
  q: array<vec4<f32>, QL>,
  k: array<vec4<f32>, KL>,
}

// Head-dim chunk c of the workgroup's q rows (scaled into log2 units) and of the keys
// key0 .. key0+BC-1, zero past the head dim and the context.
fn fetch_chunk(t: u32, row0: u32, rows_total: u32, g: u32, kvh: u32, key0: u32, c: u32) -> Chunk {
  var ch: Chunk = Chunk(array<vec4<f32>, QL>(), array<vec4<f32>, KL>());
  // q * scale first, then into log2 units (scale * LOG2E itself overflows past 2.36e38); a scale
  // above 1 in magnitude (SCALE_AFTER) multiplies the finished scores instead.
  for (var n: u32 = 0u; n < QL; n = n + 1u) {
    let i = t + 256u * n;
    let d = c * DK4 + i % DK4;
    if (i < BR * DK4 && d < D4) {
      let r = min(row0 + i / DK4, rows_total - 1u);
      ch.q[n] = (q_unpack(q[((r / g) * p.q_heads + kvh * g + r % g) * D4 + d]) * select(p.scale, 1.0, SCALE_AFTER)) * LOG2E;
    }
  }
  for (var n: u32 = 0u; n < KL; n = n + 1u) {
    let i = t + 256u * n;
    let d = c * DK4 + i % DK4;
    let key = key0 + i / DK4;
    if (i < BC * DK4 && d < D4 && key < p.context_len) {
      ch.k[n] = kv_unpack(k_vec((key * p.kv_heads + kvh) * D4 + d));
    }
  }
  return ch;
}

fn store_chunk(t: u32, base: u32, ch: Chunk) {
  for (var n: u32 = 0u; n < QL; n = n + 1u) {
    let i = t + 256u * n;
    if (i < BR * DK4) {
      smem[base + (i / DK4) * CS + i % DK4] = ch.q[n];
    }
  }
  for (var n: u32 = 0u; n < KL; n = n + 1u) {
    let i = t + 256u * n;
    if (i < BC * DK4) {
      smem[base + (BR + i / DK4) * CS + i % DK4] = ch.k[n];
    }
  }
}

// Values of keys key0 .. key0+15 (zero past the context).
fn fetch_values(t: u32, kvh: u32, key0: u32) -> array<vec4<f32>, VL> {
  var regs: array<vec4<f32>, VL> = array<vec4<f32>, VL>();
  for (var n: u32 = 0u; n < VL; n = n + 1u) {
    let i = t + 256u * n;
    let key = key0 + i / D4;
    if (i < KG * D4 && key < p.context_len) {
      regs[n] = kv_unpack(v_vec((key * p.kv_heads + kvh) * D4 + i % D4));
    }
  }
  return regs;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let warp = t / 32u;
  let lane = t % 32u;
  let ry = (warp / 2u) * 4u + lane / 8u;
  let kx = (warp % 2u) * 8u + lane % 8u;
  let kvh = wg.y;
  let g = p.q_heads / p.kv_heads;
  let rows_total = p.seq_len * g;
  let row0 = wg.x * BR;

  // This thread's rows: q offset and visible range [lo, vis) (clamped for padding rows).
  var qbase: array<u32, TM> = array<u32, TM>();
  var lo: array<u32, TM> = array<u32, TM>();
  var vis: array<u32, TM> = array<u32, TM>();
  for (var i: u32 = 0u; i < TM; i = i + 1u) {
    let r = min(row0 + ry + RG * i, rows_total - 1u);
    let s = r / g;
    qbase[i] = (s * p.q_heads + kvh * g + r % g) * D4;
    lo[i] = visible_start(s);
    vis[i] = visible_len(s);
  }
  // Uniform across the workgroup: the tiles any row sees, and the range every row sees.
  let first_s = row0 / g;
  let last_s = (min(row0 + BR, rows_total) - 1u) / g;
  let n_tiles = (visible_len(last_s) + BC - 1u) / BC;
  let first_tile = visible_start(first_s) / BC;
  let lo_max = visible_start(last_s);
  let vis_min = visible_len(first_s);

  var m: array<f32, TM> = array<f32, TM>();
  var l: array<f32, TM> = array<f32, TM>();  // partial sums over this thread's keys
  var o: array<vec4<f32>, TM * DV> = array<vec4<f32>, TM * DV>();
  for (var i: u32 = 0u; i < TM; i = i + 1u) {
    m[i] = LOWEST;
  }

  var ch: Chunk = fetch_chunk(t, row0, rows_total, g, kvh, first_tile * BC, 0u);
  var vregs: array<vec4<f32>, VL> = array<vec4<f32>, VL>();
  for (var tile: u32 = first_tile; tile < n_tiles; tile = tile + 1u) {
    let key0 = tile * BC;
    let full = key0 >= lo_max && key0 + BC <= vis_min;

    // S = Q K^T over the head-dim chunks.
    var sc: array<f32, TM * TN> = array<f32, TM * TN>();  // sc[i * TN + j]: row i, key kx + 16j
    for (var c: u32 = 0u; c < NCH; c = c + 1u) {
      let base = (c % SBUF) * SCB;
      if (SBUF == 1u && c > 0u) {
        workgroupBarrier();  // every read of the previous chunk done
      }
      store_chunk(t, base, ch);
      workgroupBarrier();
      if (c + 1u < NCH) {
        ch = fetch_chunk(t, row0, rows_total, g, kvh, key0, c + 1u);  // in flight during this chunk
      } else {
        vregs = fetch_values(t, kvh, key0);
      }
      for (var dd: u32 = 0u; dd < DK4; dd = dd + 1u) {
        var qv: array<vec4<f32>, TM> = array<vec4<f32>, TM>();
        for (var i: u32 = 0u; i < TM; i = i + 1u) {
          qv[i] = smem[base + (ry + RG * i) * CS + dd];
        }
        for (var j: u32 = 0u; j < TN; j = j + 1u) {
          let kv = smem[base + (BR + kx + KG * j) * CS + dd];
          for (var i: u32 = 0u; i < TM; i = i + 1u) {
            sc[i * TN + j] = sc[i * TN + j] + dot(qv[i], kv);
          }
        }
      }
    }

    // Soft-cap, masking (edge tiles only) and this thread's row maxima.
    var tmax: array<f32, TM> = array<f32, TM>();
    for (var i: u32 = 0u; i < TM; i = i + 1u) {
      tmax[i] = LOWEST;
      for (var j: u32 = 0u; j < TN; j = j + 1u) {
        var s: f32 = scale_after(sc[i * TN + j]);
        if (SOFTCAP) {
          s = cap_score(s * LN2) * LOG2E;
        }
        if (!full) {
          let key = key0 + kx + KG * j;
          s = select(LOWEST, s, key >= lo[i] && key < vis[i]);
        }
        sc[i * TN + j] = s;
        tmax[i] = max(tmax[i], s);
      }
      red[((ry + RG * i) * KG + kx) / 4u][kx % 4u] = tmax[i];
    }
    workgroupBarrier();  // maxima visible; every read of the score buffers done

    var alpha: array<f32, TM> = array<f32, TM>();
    for (var i: u32 = 0u; i < TM; i = i + 1u) {
      var mx: f32 = m[i];
      for (var x: u32 = 0u; x < KG / 4u; x = x + 1u) {
        let v = red[(ry + RG * i) * (KG / 4u) + x];
        mx = max(mx, max(max(v.x, v.y), max(v.z, v.w)));
      }
      alpha[i] = exp2(m[i] - mx);
      m[i] = mx;
      var l_t: f32 = 0.0;
      for (var j: u32 = 0u; j < TN; j = j + 1u) {
        var pv: f32 = exp2(sc[i * TN + j] - mx);
        if (!full) {
          let key = key0 + kx + KG * j;
          pv = select(0.0, pv, key >= lo[i] && key < vis[i]);
        }
        sc[i * TN + j] = pv;
        l_t = l_t + pv;
      }
      l[i] = l[i] * alpha[i] + l_t;
    }

    // O += P V, 16 keys at a time: P chunk j is column j of every thread's scores.
    var o_t: array<vec4<f32>, TM * DV> = array<vec4<f32>, TM * DV>();
    for (var j: u32 = 0u; j < TN; j = j + 1u) {
      let base = (j % PBUF) * PVB;
      if (PBUF == 1u && j > 0u) {
        workgroupBarrier();  // every read of the previous chunk done
      }
      for (var i: u32 = 0u; i < TM; i = i + 1u) {
        smem[base + (ry + RG * i) * PS + kx / 4u][kx % 4u] = sc[i * TN + j];
      }
      for (var n: u32 = 0u; n < VL; n = n + 1u) {
        let idx = t + 256u * n;
        if (idx < KG * D4) {
          smem[base + BR * PS + idx] = vregs[n];
        }
      }
      workgroupBarrier();
      if (j + 1u < TN) {
        vregs = fetch_values(t, kvh, key0 + KG * (j + 1u));
      } else if (tile + 1u < n_tiles) {
        ch = fetch_chunk(t, row0, rows_total, g, kvh, key0 + BC, 0u);  // the next tile's first chunk
      }
      if (full) {
        for (var k4: u32 = 0u; k4 < KG / 4u; k4 = k4 + 1u) {
          var pr: array<vec4<f32>, TM> = array<vec4<f32>, TM>();
          for (var i: u32 = 0u; i < TM; i = i + 1u) {
            pr[i] = smem[base + (ry + RG * i) * PS + k4];
          }
          for (var kk: u32 = 0u; kk < 4u; kk = kk + 1u) {
            for (var jj: u32 = 0u; jj < DV; jj = jj + 1u) {
              let v = smem[base + BR * PS + (k4 * 4u + kk) * D4 + min(kx + KG * jj, D4 - 1u)];
              for (var i: u32 = 0u; i < TM; i = i + 1u) {
                o_t[i * DV + jj] = o_t[i * DV + jj] + pr[i][kk] * v;
              }
            }
          }
        }
      } else {
        // The causal diagonal, the window's left edge or the context's end: a key joins
        // only the rows that see it.
        for (var k4: u32 = 0u; k4 < KG / 4u; k4 = k4 + 1u) {
          var pr: array<vec4<f32>, TM> = array<vec4<f32>, TM>();
          for (var i: u32 = 0u; i < TM; i = i + 1u) {
            pr[i] = smem[base + (ry + RG * i) * PS + k4];
          }
          for (var kk: u32 = 0u; kk < 4u; kk = kk + 1u) {
            let key = key0 + KG * j + k4 * 4u + kk;
            for (var jj: u32 = 0u; jj < DV; jj = jj + 1u) {
              let v = smem[base + BR * PS + (k4 * 4u + kk) * D4 + min(kx + KG * jj, D4 - 1u)];
              for (var i: u32 = 0u; i < TM; i = i + 1u) {
                o_t[i * DV + jj] = o_t[i * DV + jj] +
                                   select(vec4<f32>(0.0), pr[i][kk] * v, key >= lo[i] && key < vis[i]);
              }
            }
          }
        }
      }
    }
    for (var i: u32 = 0u; i < TM; i = i + 1u) {
      for (var jj: u32 = 0u; jj < DV; jj = jj + 1u) {
        o[i * DV + jj] = o[i * DV + jj] * alpha[i] + o_t[i * DV + jj];
      }
    }
    workgroupBarrier();  // before the next tile's chunks overwrite P and V
  }

  // Row sums: combine the 16 partial sums of each row.
  for (var i: u32 = 0u; i < TM; i = i + 1u) {
    red[((ry + RG * i) * KG + kx) / 4u][kx % 4u] = l[i];
  }
  workgroupBarrier();
  for (var i: u32 = 0u; i < TM; i = i + 1u) {
    var total: f32 = 0.0;
    for (var x: u32 = 0u; x < KG / 4u; x = x + 1u) {
      let v = red[(ry + RG * i) * (KG / 4u) + x];
      total = total + ((v.x + v.y) + (v.z + v.w));
    }
    let r = row0 + ry + RG * i;
    if (r < rows_total) {
      var inv: f32 = 1.0 / total;
      var lse_row: f32 = (m[i] + log2(total)) * LN2;
      if (SINKS) {
        // The head's sink logit joins the denominator (no value row): rescale to the
        // larger of the row's max and the sink (log2 units).
        let sink = sink_logit(kvh * g + r % g);
        // A sink past f32 max / log2 e (any finite sink is allowed) has no log2-unit value:
        // it stands in as +-3.4e38 there (above any row max the scores can reach) and its
        // LSE is formed in natural units from the sink itself, never from an Inf.
        let huge = abs(sink) > 2.35e38;
        let sk = select(sink * LOG2E, sign(sink) * 3.4e38, huge);
        // What sk lost to rounding (the product's, and f32 log2 e's): the row's whole weight
        // is 2^(m - sk) when the sink dominates, so it must be exact to ~1 ulp.
        let sk_err = select(fma(sink, LOG2E, -sk) + sink * 1.925963033500011e-08, 0.0, huge);
        let m2 = max(m[i], sk);
        let a = exp2_diff(m[i], m2, select(0.0, sk_err, m2 == sk && m2 != m[i]));
        let den = total * a + exp2(sk - m2);
        inv = a / den;
        lse_row = select((m2 + log2(den)) * LN2, sink + log2(den) * LN2, huge && m2 == sk);
      }
      if (LSE && kx == 0u) {
        write_lse(qbase[i] / D4, lse_row);
      }
      for (var jj: u32 = 0u; jj < DV; jj = jj + 1u) {
        let d4 = kx + KG * jj;
        if (d4 < D4) {
          out[qbase[i] + d4] = out_pack(o[i * DV + jj] * inv);
        }
      }
    }
  }
}
