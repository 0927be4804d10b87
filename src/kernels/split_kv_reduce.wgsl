// Split-KV decode, stage 2: merges the n_chunks partial states of every query row
// with log-sum-exp weights: M = max m_j, out = sum_j e^(m_j - M) o_j / sum_j e^(m_j - M) l_j.
// One thread per (row, kv head, head-dim vec4).
// Bytes: read Hkv * n_chunks * ROWS * (D*4 + 8), write S * Hq * D * 4.
override WG: u32 = 64u;

@group(0) @binding(1) var<storage, read> part_o: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> part_ml: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d4n = p.head_dim / 4u;
  let g = p.q_heads / p.kv_heads;
  let rows = p.seq_len * g;
  let i = gid.y * p.row_threads + gid.x;
  if (i >= p.kv_heads * rows * d4n) {
    return;
  }
  let d4 = i % d4n;
  let r = (i / d4n) % rows;
  let kvh = i / (d4n * rows);
  var mx: f32 = MASKED;
  for (var c: u32 = 0u; c < p.n_chunks; c = c + 1u) {
    mx = max(mx, part_ml[(kvh * p.n_chunks + c) * rows + r].x);
  }
  var l: f32 = 0.0;
  var o: vec4<f32> = vec4<f32>(0.0);
  for (var c: u32 = 0u; c < p.n_chunks; c = c + 1u) {
    let j = (kvh * p.n_chunks + c) * rows + r;
    let ml = part_ml[j];
    var w: f32 = 0.0;
    if (ml.x > MASK_LIMIT) {
      w = exp(ml.x - mx);
    }
    l = l + w * ml.y;
    o = o + w * part_o[j * d4n + d4];
  }
  let s = r / g;
  let h = kvh * g + r % g;
  out[(s * p.q_heads + h) * d4n + d4] = o / l;
}
