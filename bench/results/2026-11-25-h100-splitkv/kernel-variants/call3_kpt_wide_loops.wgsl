// Split-KV decode, stage 1 (FlashDecoding): the context of each kv head is cut into
// n_chunks chunks of chunk_len positions; one workgroup per (chunk, kv head) computes,
// for all R = S*g query rows sharing that kv head, a partial softmax state over its
// chunk: running max m, sum l and unnormalised accumulator o. split_kv_reduce merges
// the chunks with log-sum-exp weights. K tiles are staged in workgroup memory
// (coalesced); V is streamed from memory with consecutive threads on consecutive
// head-dim words.
//
// Row reductions come from a prelude: row_reduce_subgroup (subgroups >= 32 wide) or
// row_reduce_shared (portable, workgroup memory).
// Generated header constants: D4 = head_dim/4, BK = 32 (one aligned group of 32
// invocations per row in the score phase), ROWS = S*g rounded up to a power of two (fewer
// pipeline variants; padding rows are masked out), WG = threads per workgroup,
// KPT = keys per score item (a tile holds BK*KPT keys: more bytes in flight per tile and
// half the barriers and row reductions per key at KPT = 2), and the load word: KvLoad
// holds KW consecutive KvVec4s (KW = 2: 16-byte loads of 8 halves from an f16 cache, as
// many bytes per load instruction as f32), kv_part(w, j) its j-th KvVec4; D4 % KW == 0.
// Bytes (the floor): K and V of the context, read once per kv head.
const BKT: u32 = BK * KPT;           // keys per tile
const DW: u32 = D4 / KW;             // load words per key row
const SLOTS: u32 = WG / DW;          // key slots in the PV phase (threads per word column)
const NI: u32 = (ROWS * BK + WG - 1u) / WG;  // score items per invocation
const NK: u32 = (BKT * DW + WG - 1u) / WG;   // K tile words loaded per invocation
const NV: u32 = (BKT + SLOTS - 1u) / SLOTS;  // V rows per invocation in the PV phase
const KV_STRIDE: u32 = D4 + 1u;

@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k_cache: array<KvLoad>;
@group(0) @binding(3) var<storage, read> v_cache: array<KvLoad>;
@group(0) @binding(4) var<storage, read_write> part_o: array<vec4<f32>>;  // [Hkv, n_chunks, S*g, D4]
@group(0) @binding(5) var<storage, read_write> part_ml: array<vec2<f32>>; // [Hkv, n_chunks, S*g] (m, l)

var<workgroup> q_tile: array<vec4<f32>, ROWS * D4>;
var<workgroup> k_tile: array<vec4<f32>, BKT * KV_STRIDE>;
var<workgroup> sc: array<f32, ROWS * BKT>;
var<workgroup> m_sh: array<f32, ROWS>;
var<workgroup> l_sh: array<f32, ROWS>;
var<workgroup> alpha_sh: array<f32, ROWS>;
var<workgroup> m_next: array<f32, ROWS>;
var<workgroup> l_add: array<f32, ROWS>;
var<workgroup> red: array<vec4<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let chunk = wg.x;
  let kvh = wg.y;
  let g = p.q_heads / p.kv_heads;
  let rows = p.seq_len * g;
  let key_begin = chunk * p.chunk_len;
  // No row sees past the last row's causal limit.
  let key_end = min(key_begin + p.chunk_len, visible_len(p.seq_len - 1u));

  for (var i: u32 = t; i < ROWS * D4; i = i + WG) {
    let r = min(i / D4, rows - 1u);  // padding rows repeat the last one; their scores are masked
    let s = r / g;
    let h = kvh * g + r % g;
    q_tile[i] = q[(s * p.q_heads + h) * D4 + i % D4];
  }
  if (t < ROWS) {
    m_sh[t] = MASKED;
    l_sh[t] = 0.0;
  }
  let dw = t % DW;
  let slot = t / DW;
  var acc: array<vec4<f32>, ROWS * KW> = array<vec4<f32>, ROWS * KW>();  // [row][part]
  for (var r: u32 = 0u; r < ROWS * KW; r = r + 1u) {
    acc[r] = vec4<f32>(0.0);
  }

  var key0: u32 = key_begin;
  loop {
    if (key0 >= key_end) {
      break;
    }
    let n_keys = min(BKT, key_end - key0);
    // Issue every global load of the tile before using any (K for workgroup memory, V for
    // registers): one memory latency per tile instead of one per loop iteration.
    var k_regs: array<KvLoad, NK> = array<KvLoad, NK>();
    for (var n: u32 = 0u; n < NK; n = n + 1u) {
      let i = t + WG * n;
      let kr = i / DW;
      if (kr < n_keys) {
        k_regs[n] = k_cache[((key0 + kr) * p.kv_heads + kvh) * DW + i % DW];
      }
    }
    var v_regs: array<KvLoad, NV> = array<KvLoad, NV>();
    for (var n: u32 = 0u; n < NV; n = n + 1u) {
      let kr = slot + SLOTS * n;
      if (slot < SLOTS && kr < n_keys) {
        v_regs[n] = v_cache[((key0 + kr) * p.kv_heads + kvh) * DW + dw];
      }
    }
    for (var n: u32 = 0u; n < NK; n = n + 1u) {
      let i = t + WG * n;
      if (i < BKT * DW) {
        for (var j: u32 = 0u; j < KW; j = j + 1u) {
          k_tile[(i / DW) * KV_STRIDE + (i % DW) * KW + j] = kv_unpack(kv_part(k_regs[n], j));
        }
      }
    }
    workgroupBarrier();

    // Scores and the online-softmax update, one (row, key group) item per invocation: the
    // 32 key groups of a row sit on 32 consecutive invocations, reduced by
    // row_max32/row_sum32; an item holds keys kr, kr + BK, ... (KPT of them).
    for (var n: u32 = 0u; n < NI; n = n + 1u) {
      let i = t + WG * n;
      let r = min(i / BK, ROWS - 1u);
      let kr = i % BK;
      var dotv: array<vec4<f32>, KPT> = array<vec4<f32>, KPT>();
      for (var x: u32 = 0u; x < D4; x = x + 1u) {
        let qv = q_tile[r * D4 + x];
        for (var u: u32 = 0u; u < KPT; u = u + 1u) {
          dotv[u] = dotv[u] + qv * k_tile[(kr + BK * u) * KV_STRIDE + x];
        }
      }
      var score: array<f32, KPT> = array<f32, KPT>();
      var smax: f32 = MASKED;
      for (var u: u32 = 0u; u < KPT; u = u + 1u) {
        let ku = kr + BK * u;
        let ok = i < ROWS * BK && ku < n_keys && r < rows && key0 + ku < visible_len(r / g);
        let d = dotv[u];
        score[u] = select(MASKED, (d.x + d.y + d.z + d.w) * p.scale, ok);
        smax = max(smax, score[u]);
      }
      let m_old = m_sh[r];
      let m_new = max(m_old, row_max32(smax, t));
      var pv: array<f32, KPT> = array<f32, KPT>();
      var ps: f32 = 0.0;
      for (var u: u32 = 0u; u < KPT; u = u + 1u) {
        if (score[u] > MASK_LIMIT) {
          pv[u] = exp(score[u] - m_new);
        }
        ps = ps + pv[u];
      }
      let psum = row_sum32(ps, t);
      if (i < ROWS * BK) {
        for (var u: u32 = 0u; u < KPT; u = u + 1u) {
          sc[r * BKT + kr + BK * u] = pv[u];
        }
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
      for (var r: u32 = 0u; r < ROWS * KW; r = r + 1u) {
        acc[r] = acc[r] * alpha_sh[r / KW];
      }
      for (var n: u32 = 0u; n < NV; n = n + 1u) {
        let kr = min(slot + SLOTS * n, BKT - 1u);  // keys past n_keys have p = 0 and v = 0
        for (var j: u32 = 0u; j < KW; j = j + 1u) {
          let vf = kv_unpack(kv_part(v_regs[n], j));
          for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
            acc[r * KW + j] = acc[r * KW + j] + sc[r * BKT + kr] * vf;
          }
        }
      }
    }
    workgroupBarrier();
    key0 = key0 + BKT;
  }

  // Combine the key slots of each row and write the chunk's partial state.
  let base = (kvh * p.n_chunks + chunk) * rows;
  for (var r: u32 = 0u; r < ROWS * KW; r = r + 1u) {
    red[t] = acc[r];
    workgroupBarrier();
    if (t < DW && r / KW < rows) {
      var sum: vec4<f32> = vec4<f32>(0.0);
      for (var x: u32 = 0u; x < SLOTS; x = x + 1u) {
        sum = sum + red[x * DW + t];
      }
      part_o[(base + r / KW) * D4 + t * KW + r % KW] = sum;
    }
    workgroupBarrier();
  }
  if (t < rows) {
    part_ml[base + t] = vec2<f32>(m_sh[t], l_sh[t]);
  }
}
