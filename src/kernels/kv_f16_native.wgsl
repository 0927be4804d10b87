// KV cache storage: IEEE half precision read as WGSL f16 (needs the shader-f16 feature).
// Same bytes as kv_f16 (two halves per u32, little-endian), so one cache serves both.
enable f16;

alias KvVec4 = vec4<f16>;
alias KvWord = f16;
const KV_VEC4_BYTES: u32 = 8u;
const KV_WORD_BYTES: u32 = 2u;
const KV_WORD_ELEMS: u32 = 1u;
fn kv_unpack(v: KvVec4) -> vec4<f32> { return vec4<f32>(v); }
fn kv_pack(v: vec4<f32>) -> KvVec4 { return vec4<f16>(v); }
fn kv_word_elem(w: KvWord, i: u32) -> f32 { return f32(w); }
