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

// Masking is a rule on positions, never a score value: whether key c is visible to a row
// is decided by visible_len() (and, in the kernels, by the context length), and an
// invisible key contributes nothing to that row -- not "probability 0 times its value"
// (0 * Inf is NaN). Running maxima start at the lowest finite f32 instead of a sentinel,
// so every real score, down to -3.4e38, is a score; exp(score - max) of a visible key is
// never skipped, so a NaN or Inf in a visible key or value reaches its row as in the
// float64 reference. (Every row sees at least one key today: a causal row sees position
// 0; rows with no visible key arrive with windows and masks.)
const LOWEST: f32 = -3.4028234663852886e38;

@group(0) @binding(0) var<uniform> p: Params;

// Last cache position row `s` may attend to, plus one.
fn visible_len(s: u32) -> u32 {
  if (p.causal != 0u) {
    return min(p.input_pos + s + 1u, p.context_len);
  }
  return p.context_len;
}
