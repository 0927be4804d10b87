// Split-KV decode, stage 1 (FlashDecoding): the context of each kv head is cut into
// n_chunks chunks of chunk_len positions; one workgroup per (chunk, kv head) computes,
// for all R = S*g query rows sharing that kv head, a partial softmax state over its
// chunk: running max m, sum l and unnormalised accumulator o. split_kv_reduce merges
// the chunks with log-sum-exp weights. Under a sliding window (WINDOW) the chunks cover
// only [visible_start(0), context): keys left of the earliest row's window are never read,
// so decode at context C with window W costs about what context W costs. K tiles are staged in workgroup memory
// (coalesced); V is streamed from memory with consecutive threads on consecutive
// head-dim vec4s. Loaded K and V stay in the cache's storage format in registers until
// used (an f16 cache is unpacked when K is written to workgroup memory and when V enters
// the PV sum, not at the load): measured 27-30% faster with the f16 cache on the H100.
//
// Workgroups are numbered kv head fastest: the dispatch is (n_chunks, Hkv), but
// consecutive workgroups take the Hkv heads of one chunk, which share cache rows
// ([pos, Hkv, D] layout), so the workgroups in flight read one compact address range
// instead of one head's whole context.
//
// Row reductions come from a prelude: row_reduce_subgroup32 (bare shuffles, devices whose
// subgroups are at least 32 wide), row_reduce_subgroup (shuffles at the width the shader
// really runs with, narrower subgroups combined in memory) or row_reduce_shared (devices
// without subgroups: workgroup memory).
// Masking is by position (attention_params): a key a row cannot see never enters its max,
// sum or P.V (an Inf/NaN value there cannot reach the row); the scale is folded into q
// when q is staged (q.k cannot overflow when the scaled score would not), unless it exceeds 1
// in magnitude (SCALE_AFTER: then it multiplies the finished q.k, as q * scale could overflow).
// Generated header constants: FUSED (see key_end), D4 = head_dim/4, BK = 32 keys per tile, ROWS = S*g rounded
// up to a power of two (fewer pipeline variants; padding rows are masked out),
// WG = threads per workgroup, SAME_VIS = every row sees the same keys (S = 1, or not causal
// without a window: the per-row visibility test of the P.V phase is compiled out),
// alibi_slope(h): ALiBi slopes (ALIBI), MASK / mask_visible / mask_score: an explicit mask
// (every tile takes the per-row P.V path; a row with no visible key in the chunk leaves
// m = no_key() in its partial state).
// Bytes (the floor): K and V of the context, read once per kv head.
const SLOTS: u32 = WG / D4;          // key slots in the PV phase (threads per d4 column)
const NI: u32 = (ROWS * BK + WG - 1u) / WG;  // score items per invocation
const NK: u32 = (BK * D4 + WG - 1u) / WG;    // K tile vec4s loaded per invocation
const NV: u32 = (BK + SLOTS - 1u) / SLOTS;    // V rows per invocation in the PV phase
const KV_STRIDE: u32 = D4 + 1u;
const NQ: u32 = (ROWS * D4 + WG - 1u) / WG;    // q vec4s staged per invocation

@group(0) @binding(1) var<storage, read> q: array<q_vec4>;  // f32 or packed f16 (generated q_unpack)
@group(0) @binding(2) var<storage, read> k_cache: array<KvVec4>;
@group(0) @binding(3) var<storage, read> v_cache: array<KvVec4>;
@group(0) @binding(4) var<storage, read_write> part_o: array<vec4<f32>>;  // [Hkv, n_chunks, S*g, D4]
@group(0) @binding(5) var<storage, read_write> part_ml: array<vec2<f32>>; // [Hkv, n_chunks, S*g] (m, l)

var<workgroup> q_tile: array<vec4<f32>, ROWS * D4>;
var<workgroup> k_tile: array<vec4<f32>, BK * KV_STRIDE>;
var<workgroup> sc: array<f32, ROWS * BK>;
var<workgroup> m_sh: array<f32, ROWS>;
var<workgroup> l_sh: array<f32, ROWS>;
var<workgroup> alpha_sh: array<f32, ROWS>;
var<workgroup> m_next: array<f32, ROWS>;
var<workgroup> l_add: array<f32, ROWS>;
var<workgroup> red: array<vec4<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, ids: ReduceIds) {
  let t = lid.x;
  let sgw = reduce_setup(ids, t);
  let lin = wg.y * p.n_chunks + wg.x;
  let chunk = lin / p.kv_heads;
  let kvh = lin % p.kv_heads;
  let g = p.q_heads / p.kv_heads;
  let rows = p.seq_len * g;
  let key_begin = visible_start(0u) + chunk * p.chunk_len;
  // No row sees past the last row's causal limit. FUSED (the merge pass writes the cache
  // update and takes the step's own keys from k_new / v_new): the chunks end at input_pos.
  let key_end = min(key_begin + p.chunk_len, select(visible_len(p.seq_len - 1u), p.input_pos, FUSED));

  // q is loaded into registers here and stored into q_tile only after the first tile's K/V
  // loads are issued: the two memory latencies overlap instead of following each other.
  var q_regs: array<vec4<f32>, NQ> = array<vec4<f32>, NQ>();
  for (var n: u32 = 0u; n < NQ; n = n + 1u) {
    let i = t + WG * n;
    if (i < ROWS * D4) {
      let r = min(i / D4, rows - 1u);  // padding rows repeat the last one; their scores are masked
      let s = r / g;
      let h = kvh * g + r % g;
      q_regs[n] = q_unpack(q[(s * p.q_heads + h) * D4 + i % D4]) * select(p.scale, 1.0, SCALE_AFTER);
    }
  }
  var q_stored: bool = false;
  if (t < ROWS) {
    m_sh[t] = LOWEST;
    l_sh[t] = 0.0;
  }
  var acc: array<vec4<f32>, ROWS> = array<vec4<f32>, ROWS>();
  for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
    acc[r] = vec4<f32>(0.0);
  }

  var seen: array<f32, NI> = array<f32, NI>();  // MASK: 1 once the item's row saw a key

  let w = sgw;
  let d4 = t % D4;
  let slot = t / D4;
  var key0: u32 = key_begin;
  loop {
    if (key0 >= key_end) {
      break;
    }
    let n_keys = min(BK, key_end - key0);
    // Issue every global load of the tile before using any (K for workgroup memory, V for
    // registers): one memory latency per tile instead of one per loop iteration.
    var k_regs: array<KvVec4, NK> = array<KvVec4, NK>();
    for (var n: u32 = 0u; n < NK; n = n + 1u) {
      let i = t + WG * n;
      let kr = i / D4;
      if (kr < n_keys) {
        k_regs[n] = k_vec(((key0 + kr) * p.kv_heads + kvh) * D4 + i % D4);
      }
    }
    var v_regs: array<KvVec4, NV> = array<KvVec4, NV>();
    for (var n: u32 = 0u; n < NV; n = n + 1u) {
      let kr = slot + SLOTS * n;
      if (slot < SLOTS && kr < n_keys) {
        v_regs[n] = v_vec(((key0 + kr) * p.kv_heads + kvh) * D4 + d4);
      }
    }
    if (!q_stored) {
      for (var n: u32 = 0u; n < NQ; n = n + 1u) {
        let i = t + WG * n;
        if (i < ROWS * D4) {
          q_tile[i] = q_regs[n];
        }
      }
      q_stored = true;
    }
    for (var n: u32 = 0u; n < NK; n = n + 1u) {
      let i = t + WG * n;
      if (i < BK * D4) {
        k_tile[(i / D4) * KV_STRIDE + i % D4] = kv_unpack(k_regs[n]);
      }
    }
    workgroupBarrier();

    // Scores and the online-softmax update, one (row, key) item per invocation: the 32
    // keys of a row sit on 32 consecutive invocations, reduced by row_max32/row_sum32.
    for (var n: u32 = 0u; n < NI; n = n + 1u) {
      let i = t + WG * n;
      let r = min(i / BK, ROWS - 1u);
      let kr = i % BK;
      var dotv: vec4<f32> = vec4<f32>(0.0);
      for (var x: u32 = 0u; x < D4; x = x + 1u) {
        dotv = dotv + q_tile[r * D4 + x] * k_tile[kr * KV_STRIDE + x];
      }
      let ok = i < ROWS * BK && kr < n_keys && r < rows && key0 + kr >= visible_start(r / g) &&
               key0 + kr < visible_len(r / g) && mask_visible(r / g, key0 + kr);
      // ALiBi: the item's row slope and reference key, formed here by generated functions that
      // are literal zeros without ALiBi (per-item arrays set under `if (ALIBI)` cost 2.2-2.7x
      // on the H200 even with ALiBi off).
      let ra = min(r, rows - 1u);
      let slope = alibi_slope(kvh * g + ra % g);
      let ref_key = alibi_ref_key(slope, ra / g);
      let score = select(LOWEST, mask_score(alibi_score(cap_score(scale_after(dotv.x + dotv.y + dotv.z + dotv.w)), slope,
                                                        key0 + kr, ref_key),
                                            min(r, rows - 1u) / g, min(key0 + kr, p.context_len - 1u)), ok);
      if (MASK) {
        seen[n] = max(seen[n], row_max32(select(0.0, 1.0, ok), t, w));
      }
      let m_old = m_sh[r];
      let m_new = max(m_old, row_max32(score, t, w));
      var pv: f32 = 0.0;
      if (ok) {
        pv = exp(score - m_new);
      }
      let psum = row_sum32(pv, t, w);
      if (i < ROWS * BK) {
        sc[i] = pv;
        if (kr == 0u) {
          alpha_sh[r] = exp(m_old - m_new);
          m_next[r] = m_new;
          l_add[r] = psum;
        }
      }
    }
    workgroupBarrier();
    if (t < ROWS) {
      m_sh[t] = m_next[t];
      l_sh[t] = l_sh[t] * alpha_sh[t] + l_add[t];
    }

    if (slot < SLOTS) {
      for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
        acc[r] = acc[r] * alpha_sh[r];
      }
      if (!MASK && (SAME_VIS || (key0 >= visible_start(p.seq_len - 1u) && key0 + n_keys <= visible_len(0u)))) {
        // Every row sees the whole tile (row 0 ends first, the last row starts last); keys past n_keys have
        // p = 0 and v = 0 (registers left at zero).
        for (var n: u32 = 0u; n < NV; n = n + 1u) {
          let kr = min(slot + SLOTS * n, BK - 1u);
          let vf = kv_unpack(v_regs[n]);
          for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
            acc[r] = acc[r] + sc[r * BK + kr] * vf;
          }
        }
      } else {
        // The causal diagonal or window edge of a multi-token step, or a mask: a key joins
        // only the rows that see it.
        for (var n: u32 = 0u; n < NV; n = n + 1u) {
          let kr = min(slot + SLOTS * n, BK - 1u);
          let vf = kv_unpack(v_regs[n]);
          for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
            let s = min(r, rows - 1u) / g;
            let sees = kr < n_keys && key0 + kr >= visible_start(s) && key0 + kr < visible_len(s) &&
                       mask_visible(s, key0 + kr);
            acc[r] = acc[r] + select(vec4<f32>(0.0), sc[r * BK + kr] * vf, sees);
          }
        }
      }
    }
    workgroupBarrier();
    key0 = key0 + BK;
  }

  if (MASK) {
    // A row that saw no key in this chunk: m = no_key() (attention_params), set by the
    // thread that owns its row's first score item.
    for (var n: u32 = 0u; n < NI; n = n + 1u) {
      let i = t + WG * n;
      if (i < ROWS * BK && i % BK == 0u && i / BK < rows && seen[n] == 0.0) {
        m_sh[i / BK] = no_key();
      }
    }
  }

  // Combine the key slots of each row and write the chunk's partial state.
  let base = (kvh * p.n_chunks + chunk) * rows;
  for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
    red[t] = acc[r];
    workgroupBarrier();
    if (t < D4 && r < rows) {
      var sum: vec4<f32> = vec4<f32>(0.0);
      for (var x: u32 = 0u; x < SLOTS; x = x + 1u) {
        sum = sum + red[x * D4 + t];
      }
      part_o[(base + r) * D4 + t] = sum;
    }
    workgroupBarrier();
  }
  if (t < rows) {
    part_ml[base + t] = vec2<f32>(m_sh[t], l_sh[t]);
  }
}
