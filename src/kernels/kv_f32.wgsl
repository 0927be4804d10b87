// KV cache storage: fp32. A KvVec4 holds 4 consecutive head-dim values; a KvWord
// is the smallest addressable unit (one value here).
alias KvVec4 = vec4<f32>;
alias KvWord = f32;
const KV_VEC4_BYTES: u32 = 16u;
const KV_WORD_BYTES: u32 = 4u;
const KV_WORD_ELEMS: u32 = 1u;
fn kv_unpack(v: KvVec4) -> vec4<f32> { return v; }
fn kv_pack(v: vec4<f32>) -> KvVec4 { return v; }
fn kv_word_elem(w: KvWord, i: u32) -> f32 { return w; }
