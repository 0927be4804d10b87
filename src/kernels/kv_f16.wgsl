// KV cache storage: IEEE half precision packed two per u32 (works without the
// shader-f16 feature). A KvVec4 (8 bytes) holds 4 consecutive head-dim values.
alias KvVec4 = vec2<u32>;
alias KvWord = u32;
const KV_VEC4_BYTES: u32 = 8u;
const KV_WORD_BYTES: u32 = 4u;
const KV_WORD_ELEMS: u32 = 2u;
fn kv_unpack(v: KvVec4) -> vec4<f32> {
  return vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
}
fn kv_pack(v: vec4<f32>) -> KvVec4 {
  return vec2<u32>(pack2x16float(v.xy), pack2x16float(v.zw));
}
fn kv_word_elem(w: KvWord, i: u32) -> f32 { return unpack2x16float(w)[i]; }
