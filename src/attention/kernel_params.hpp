// The uniform parameters every attention kernel reads, declared once here as a field list;
// `struct Params` in src/kernels/attention_params.wgsl must list the same fields in the
// same order (check_params_wgsl compares them name by name and type by type whenever a
// kernel is prepared, and a test does too).
#pragma once
#include <cstdint>
#include <string_view>

namespace webattn::attention {

// F(C++ type, WGSL type, name, default)
#define WEBATTN_KERNEL_PARAMS(F)                                                                     \
  F(uint32_t, u32, seq_len, 0)       /* S: new tokens (query rows per head) */                      \
  F(uint32_t, u32, q_heads, 0)       /* Hq */                                                       \
  F(uint32_t, u32, kv_heads, 0)      /* Hkv */                                                      \
  F(uint32_t, u32, head_dim, 0)      /* D */                                                        \
  F(uint32_t, u32, input_pos, 0)     /* absolute position of query row 0 */                         \
  F(uint32_t, u32, context_len, 0)   /* input_pos + S */                                            \
  F(uint32_t, u32, causal, 1)        /* 1: row s sees 0..input_pos+s */                             \
  F(uint32_t, u32, scores_stride, 0) /* three-pass: row length of the score matrix */               \
  F(float, f32, scale, 0)            /* softmax scale */                                            \
  F(uint32_t, u32, chunk_len, 0)     /* split-kv: context positions per chunk */                    \
  F(uint32_t, u32, n_chunks, 0)      /* split-kv: chunks per kv head */                             \
  F(uint32_t, u32, row_threads, 0)   /* flat kernels: threads per grid row */                       \
  F(uint32_t, u32, window_left, 0)   /* sliding window W: row at p sees keys >= p-W+1 (0: none) */  \
  F(float, f32, softcap, 0)          /* logit soft-cap c: score <- c*tanh(score/c) (0: none) */     \
  F(uint32_t, u32, mask_stride, 0)   /* explicit mask: elements (f32 or u32 words) per row */

struct KernelParams {
#define WEBATTN_PARAM_FIELD(ctype, wtype, name, init) ctype name = init;
  WEBATTN_KERNEL_PARAMS(WEBATTN_PARAM_FIELD)
#undef WEBATTN_PARAM_FIELD
};
// Every field is a 4-byte scalar, so the WGSL uniform layout is the C++ one field by field.
#define WEBATTN_PARAM_SIZE(ctype, wtype, name, init) +sizeof(ctype)
static_assert(sizeof(KernelParams) == 0 WEBATTN_KERNEL_PARAMS(WEBATTN_PARAM_SIZE));
#undef WEBATTN_PARAM_SIZE

// Throws Error naming the first field where the WGSL `struct Params` in `wgsl` differs from
// KernelParams (name, type, order or count).
void check_params_wgsl(std::string_view wgsl);

}  // namespace webattn::attention
