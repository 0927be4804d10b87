// Uniform parameters shared by every attention kernel (mirrored once in C++ as
// webattn::attention::KernelParams, with a static_assert on its size).
struct Params {
  seq_len: u32,        // S: new tokens (query rows per head)
  q_heads: u32,        // Hq
  kv_heads: u32,       // Hkv
  head_dim: u32,       // D (a multiple of 4)
  input_pos: u32,      // absolute position of query row 0
  context_len: u32,    // input_pos + S: cache rows that exist after the update
  causal: u32,         // 1: row s sees positions 0..input_pos+s; 0: all context_len
  scores_stride: u32,  // three-pass: row length of the score matrix (context_len rounded up to 4)
  scale: f32,          // softmax scale, usually 1/sqrt(D)
  chunk_len: u32,      // split-KV: context positions per chunk
  n_chunks: u32,       // split-KV: chunks per kv head
  row_threads: u32,    // flat kernels: threads per grid row (x workgroups * workgroup size)
}

// Masked scores hold this instead of -inf (WGSL has no infinity literal); any
// score at or below MASK_LIMIT contributes exactly zero probability.
const MASKED: f32 = -3.0e38;
const MASK_LIMIT: f32 = -1.0e38;

@group(0) @binding(0) var<uniform> p: Params;

// Last cache position row `s` may attend to, plus one.
fn visible_len(s: u32) -> u32 {
  if (p.causal != 0u) {
    return min(p.input_pos + s + 1u, p.context_len);
  }
  return p.context_len;
}
