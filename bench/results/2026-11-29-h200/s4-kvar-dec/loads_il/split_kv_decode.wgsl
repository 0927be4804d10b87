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
// when q is staged (q.k cannot overflow when the scaled score would not).
// Generated header constants: D4 = head_dim/4, BK = 32 keys per tile, ROWS = S*g rounded
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
  // No row sees past the last row's causal limit.
  let key_end = min(key_begin + p.chunk_len, visible_len(p.seq_len - 1u));

  for (var i: u32 = t; i < ROWS * D4; i = i + WG) {
    let r = min(i / D4, rows - 1u);  // padding rows repeat the last one; their scores are masked
    let s = r / g;
    let h = kvh * g + r % g;
    q_tile[i] = q_unpack(q[(s * p.q_heads + h) * D4 + i % D4]) * p.scale;
  }
  if (t < ROWS) {
    m_sh[t] = LOWEST;
    l_sh[t] = 0.0;
  }
  var acc: array<vec4<f32>, ROWS> = array<vec4<f32>, ROWS>();
  for (var r: u32 = 0u; r < ROWS; r = r + 1u) {
    acc[r] = vec4<f32>(0.0);
  }

  // ALiBi: the slope and reference key of each score item's row (the same every tile).
  var slope: array<f32, NI> = array<f32, NI>();
  var ref_key: array<u32, NI> = array<u32, NI>();
  var seen: array<f32, NI> = array<f32, NI>();  // MASK: 1 once the item's row saw a key
  if (ALIBI) {
    for (var n: u32 = 0u; n < NI; n = n + 1u) {
      let r = min(min((t + WG * n) / BK, ROWS - 1u), rows - 1u);
      slope[n] = alibi_slope(kvh * g + r % g);
      ref_key[n] = alibi_ref_key(slope[n], r / g);
    }
  }

  let w = sgw;
  let d4 = t % D4;
  let slot = t / D4;
  var sum4: vec4<f32> = vec4<f32>(0.0);  // DIAGNOSTIC: loads only
  // Tiles dealt round-robin: workgroup `chunk` takes tiles chunk, chunk + n_chunks, ... of the
  // whole span, so the workgroups in flight read one narrow band of rows at a time.
  let span_begin = visible_start(0u);
  let span_end = visible_len(p.seq_len - 1u);
  let n_tiles = (span_end - span_begin + BK - 1u) / BK;
  var tile: u32 = chunk;
  loop {
    if (tile >= n_tiles) {
      break;
    }
    let key0 = span_begin + tile * BK;
    let n_keys = min(BK, span_end - key0);
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
    for (var n: u32 = 0u; n < NK; n = n + 1u) {
      sum4 = sum4 + kv_unpack(k_regs[n]);
    }
    for (var n: u32 = 0u; n < NV; n = n + 1u) {
      sum4 = sum4 + kv_unpack(v_regs[n]);
    }
    tile = tile + p.n_chunks;
  }
  acc[0] = sum4;
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
