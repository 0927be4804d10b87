// split_kv_reduce taking over this step's own rows (split_kv_decode chunked only the keys
// before input_pos: NEW_ROWS_IN_REDUCE): the row's scores against k_new (at most 32 keys:
// S <= 32 for split-kv) join the merge as one more partial state, and workgroup (r, kvh)
// with r < S writes position input_pos + r of kv head kvh into the cache, so no
// cache-update pass runs. K and V are rounded to the cache's storage type first, so the
// result is what reading them from the cache would give (rounded by integer arithmetic:
// on lavapipe unpack2x16float(pack2x16float(x)) did not give what the cache stores; the
// f16 test was off by rel L2 5e-5).
// Further cache windows' k_put / v_put are generated.
@group(0) @binding(6) var<storage, read> k_new: array<vec4<f32>>;  // [S, Hkv, D]
@group(0) @binding(7) var<storage, read> v_new: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> k_cache: array<KvVec4>;
@group(0) @binding(9) var<storage, read_write> v_cache: array<KvVec4>;
@group(0) @binding(10) var<storage, read> q: array<vec4<f32>>;     // [S, Hq, D]

var<workgroup> new_sc: array<f32, 32>;   // this row's scaled, capped score of new key j
var<workgroup> new_vis: array<bool, 32>;  // whether the row sees new key j

// x rounded to the nearest IEEE half (ties to even; overflow to +-Inf), as an f32.
fn f16_round(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let sign = b & 0x80000000u;
  let a = b & 0x7fffffffu;
  if (a >= 0x7f800000u) {
    return x;  // Inf, NaN
  }
  if (a >= 0x477ff000u) {
    return bitcast<f32>(sign | 0x7f800000u);  // at or past 65520: rounds to Inf
  }
  if (a < 0x38800000u) {
    // Below 2^-14 the half grid is subnormal, steps of 2^-24: scale (exact), round half to even.
    return bitcast<f32>(sign | bitcast<u32>(round(bitcast<f32>(a) * 16777216.0) / 16777216.0));
  }
  let lsb = (a >> 13u) & 1u;
  return bitcast<f32>(sign | ((a + 0xfffu + lsb) & ~0x1fffu));
}

// A new row's vec4 as the cache will hold it.
fn as_stored(v: vec4<f32>) -> vec4<f32> {
  if (KV_VEC4_BYTES == 8u) {
    return vec4<f32>(f16_round(v.x), f16_round(v.y), f16_round(v.z), f16_round(v.w));
  }
  return v;
}

fn put_new_rows(t: u32, r: u32, kvh: u32) {
  let d4n = p.head_dim / 4u;
  if (r < p.seq_len) {
    for (var i: u32 = t; i < d4n; i = i + WG) {
      let src = (r * p.kv_heads + kvh) * d4n + i;
      let dst = ((p.input_pos + r) * p.kv_heads + kvh) * d4n + i;
      k_put(dst, kv_pack(k_new[src]));
      v_put(dst, kv_pack(v_new[src]));
    }
  }
}

// Scores of row r against the new keys (thread t computes keys t, t + WG, ...), and their maximum
// over the keys the row sees (LOWEST if none). Called by the whole workgroup.
fn new_keys_max(t: u32, r: u32, kvh: u32) -> f32 {
  let d4n = p.head_dim / 4u;
  let g = p.q_heads / p.kv_heads;
  let s = r / g;
  let h = kvh * g + r % g;
  for (var j: u32 = t; j < p.seq_len; j = j + WG) {
    var dotv: vec4<f32> = vec4<f32>(0.0);
    for (var x: u32 = 0u; x < d4n; x = x + 1u) {
      let k = as_stored(k_new[(j * p.kv_heads + kvh) * d4n + x]);
      dotv = dotv + (q[(s * p.q_heads + h) * d4n + x] * p.scale) * k;
    }
    let key = p.input_pos + j;
    new_vis[j] = key >= visible_start(s) && key < visible_len(s);
    new_sc[j] = cap_score(dotv.x + dotv.y + dotv.z + dotv.w);
  }
  workgroupBarrier();
  var m: f32 = LOWEST;
  for (var j: u32 = 0u; j < p.seq_len; j = j + 1u) {
    if (new_vis[j]) {
      m = max(m, new_sc[j]);
    }
  }
  return m;
}

// Adds the new keys' share (weights e^(score - m_all)) to head-dim column d4 of the row's
// merged sums: their own partial sums first, then added (two-level, like the chunks).
fn add_new_keys(d4: u32, kvh: u32, m_all: f32, o: ptr<function, vec4<f32>>, l: ptr<function, f32>) {
  let d4n = p.head_dim / 4u;
  var o_new: vec4<f32> = vec4<f32>(0.0);
  var l_new: f32 = 0.0;
  for (var j: u32 = 0u; j < p.seq_len; j = j + 1u) {
    if (new_vis[j]) {
      let w = exp(new_sc[j] - m_all);
      l_new = l_new + w;
      o_new = o_new + w * as_stored(v_new[(j * p.kv_heads + kvh) * d4n + d4]);
    }
  }
  *o = *o + o_new;
  *l = *l + l_new;
}
