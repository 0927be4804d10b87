// Three-pass stage 1: scores[h, s, c] = (scale * q[s, h, :]) . k[c, h/g, :] (soft-capped,
// then ALiBi-biased relative to the row's reference key: attention_params); positions a
// row cannot see are written as 0 and never read (softmax goes by position). The scale is
// applied to q as it is loaded, so q.k cannot overflow when the scaled score would not.
// Register tiled: each thread computes
// 4 query rows x 4 context positions; a workgroup covers TILE x TILE.
// FLOPs: 2 * Hq * S * context * D.  Scores written: Hq * S * stride * 4 bytes.
const TX: u32 = 8u;
const TILE: u32 = 32u;  // 4 * TX

@group(0) @binding(1) var<storage, read> q: array<q_vec4>;  // f32 or packed f16 (generated q_unpack)
@group(0) @binding(2) var<storage, read> k_cache: array<KvVec4>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;

@compute @workgroup_size(TX, TX)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wg.z;
  let kvh = h / (p.q_heads / p.kv_heads);
  let d4n = p.head_dim / 4u;
  let s0 = wg.y * TILE + lid.y * 4u;
  let c0 = wg.x * TILE + lid.x * 4u;
  if (s0 >= p.seq_len || c0 >= p.scores_stride) {
    return;
  }
  var acc: array<vec4<f32>, 4> = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  for (var d4: u32 = 0u; d4 < d4n; d4 = d4 + 1u) {
    var kv: array<vec4<f32>, 4> = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var j: u32 = 0u; j < 4u; j = j + 1u) {
      let c = min(c0 + j, p.context_len - 1u);
      kv[j] = kv_unpack(k_vec((c * p.kv_heads + kvh) * d4n + d4));
    }
    for (var i: u32 = 0u; i < 4u; i = i + 1u) {
      let s = min(s0 + i, p.seq_len - 1u);
      let qv = q_unpack(q[(s * p.q_heads + h) * d4n + d4]) * select(p.scale, 1.0, SCALE_AFTER);  // SCALE_AFTER: scaled below
      acc[i] = acc[i] + vec4<f32>(dot(qv, kv[0]), dot(qv, kv[1]), dot(qv, kv[2]), dot(qv, kv[3]));
    }
  }
  let slope = alibi_slope(h);  // ALiBi (generated; used only with ALIBI)
  for (var i: u32 = 0u; i < 4u; i = i + 1u) {
    let s = s0 + i;
    if (s < p.seq_len) {
      let vis = visible_len(s);
      let row = (h * p.seq_len + s) * p.scores_stride;
      let ref_key = alibi_ref_key(slope, s);
      for (var j: u32 = 0u; j < 4u; j = j + 1u) {
        let c = c0 + j;
        if (c < p.scores_stride) {
          scores[row + c] = select(0.0, alibi_score(cap_score(scale_after(acc[i][j])), slope, c, ref_key), c < vis);
        }
      }
    }
  }
}
