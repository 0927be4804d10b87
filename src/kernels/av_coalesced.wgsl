// Three-pass stage 3, "after" (coalesced V): out[s, h, d] = sum_c P[h, s, c] * V[c, h/g, d].
// Each thread owns 4 query rows x 4 head-dim lanes. Per context position it loads ONE
// vec4 of 4 contiguous head-dim lanes of V and accumulates acc[r] += P[r][c] * v
// (scalar broadcast FMA).
// A key is added to a row only if the row can see it (position rule): the 4 rows of a
// thread see different lengths under the causal mask, and a value the row cannot see may
// be Inf/NaN (0 * Inf = NaN). Tiles every row sees take the unmasked fast path.
// Sums are two-level: BLOCK keys into `blk`, blocks into `acc`, so rounding grows with
// sqrt(BLOCK) + sqrt(context / BLOCK) instead of sqrt(context).
// FLOPs: 2 * Hq * S * context * D (as computed, over the visible span of each tile).
const TX: u32 = 8u;  // head-dim vec4 lanes per workgroup
const TY: u32 = 8u;  // row groups (4 rows each) per workgroup
const BLOCK: u32 = 256u;  // keys per inner sum (a multiple of 4)

@group(0) @binding(1) var<storage, read> probs: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v_cache: array<KvVec4>;
@group(0) @binding(3) var<storage, read_write> out: array<out_vec4>;  // f32 or packed f16 (generated out_pack)

@compute @workgroup_size(TX, TY)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let h = wg.z;
  let kvh = h / (p.q_heads / p.kv_heads);
  let d4n = p.head_dim / 4u;
  let d4 = wg.x * TX + lid.x;
  let s0 = wg.y * TY * 4u + lid.y * 4u;
  if (d4 >= d4n || s0 >= p.seq_len) {
    return;
  }
  var vis: array<u32, 4> = array<u32, 4>(0u, 0u, 0u, 0u);
  for (var i: u32 = 0u; i < 4u; i = i + 1u) {
    vis[i] = visible_len(min(s0 + i, p.seq_len - 1u));
  }
  let c_end = vis[3];  // later rows see no further
  let stride4 = p.scores_stride / 4u;
  var acc: array<vec4<f32>, 4> = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  var blk: array<vec4<f32>, 4> = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  for (var c: u32 = 0u; c < c_end; c = c + 4u) {
    var pr: array<vec4<f32>, 4> = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var i: u32 = 0u; i < 4u; i = i + 1u) {
      let s = min(s0 + i, p.seq_len - 1u);
      pr[i] = probs[(h * p.seq_len + s) * stride4 + c / 4u];
    }
    if (c + 4u <= vis[0]) {
      for (var cc: u32 = 0u; cc < 4u; cc = cc + 1u) {
        let v = kv_unpack(v_vec(((c + cc) * p.kv_heads + kvh) * d4n + d4));
        for (var i: u32 = 0u; i < 4u; i = i + 1u) {
          blk[i] = blk[i] + pr[i][cc] * v;
        }
      }
    } else {
      for (var cc: u32 = 0u; cc < 4u; cc = cc + 1u) {
        let row = c + cc;
        if (row < c_end) {
          let v = kv_unpack(v_vec((row * p.kv_heads + kvh) * d4n + d4));
          for (var i: u32 = 0u; i < 4u; i = i + 1u) {
            if (row < vis[i]) {
              blk[i] = blk[i] + pr[i][cc] * v;
            }
          }
        }
      }
    }
    if ((c + 4u) % BLOCK == 0u) {
      for (var i: u32 = 0u; i < 4u; i = i + 1u) {
        acc[i] = acc[i] + blk[i];
        blk[i] = vec4<f32>(0.0);
      }
    }
  }
  for (var i: u32 = 0u; i < 4u; i = i + 1u) {
    let s = s0 + i;
    if (s < p.seq_len) {
      out[(s * p.q_heads + h) * d4n + d4] = out_pack(acc[i] + blk[i]);
    }
  }
}
