// Three-pass stage 3, "before" (strided V): same tiling and math as av_coalesced, but
// for each of its 4 head-dim lanes a thread gathers 4 context rows of V (stride
// Hkv*D elements apart) into a vec4 and accumulates with dot(P[r][c..c+3], v).
// As in av_coalesced, values a row cannot see are zeroed before they meet its
// probabilities (position rule; 0 * Inf = NaN), and sums are two-level (BLOCK keys).
// FLOPs: 2 * Hq * S * context * D.
const TX: u32 = 8u;
const TY: u32 = 8u;
const BLOCK: u32 = 256u;  // keys per inner sum (a multiple of 4)

@group(0) @binding(1) var<storage, read> probs: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v_words: array<KvWord>;
@group(0) @binding(3) var<storage, read_write> out: array<out_vec4>;  // f32 or packed f16 (generated out_pack)

fn v_at(row: u32, kvh: u32, d: u32) -> f32 {
  let e = (row * p.kv_heads + kvh) * p.head_dim + d;
  return kv_word_elem(v_word(e / KV_WORD_ELEMS), e % KV_WORD_ELEMS);
}

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
  let c_end = vis[3];
  let stride4 = p.scores_stride / 4u;
  var acc: array<vec4<f32>, 4> = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  var blk: array<vec4<f32>, 4> = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
  for (var c: u32 = 0u; c < c_end; c = c + 4u) {
    var pr: array<vec4<f32>, 4> = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var i: u32 = 0u; i < 4u; i = i + 1u) {
      let s = min(s0 + i, p.seq_len - 1u);
      pr[i] = probs[(h * p.seq_len + s) * stride4 + c / 4u];
    }
    let r0 = min(c, p.context_len - 1u);
    let r1 = min(c + 1u, p.context_len - 1u);
    let r2 = min(c + 2u, p.context_len - 1u);
    let r3 = min(c + 3u, p.context_len - 1u);
    let all_see = c + 4u <= vis[0];
    for (var j: u32 = 0u; j < 4u; j = j + 1u) {
      let d = d4 * 4u + j;
      let v = vec4<f32>(v_at(r0, kvh, d), v_at(r1, kvh, d), v_at(r2, kvh, d), v_at(r3, kvh, d));
      for (var i: u32 = 0u; i < 4u; i = i + 1u) {
        var vi: vec4<f32> = v;
        if (!all_see) {
          let seen = vec4<u32>(c, c + 1u, c + 2u, c + 3u) < vec4<u32>(vis[i]);
          vi = select(vec4<f32>(0.0), v, seen);
        }
        blk[i][j] = blk[i][j] + dot(pr[i], vi);
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
