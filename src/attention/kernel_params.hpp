// C++ mirror of `struct Params` in src/kernels/attention_params.wgsl.
#pragma once
#include <cstdint>

namespace webattn::attention {

struct KernelParams {
  uint32_t seq_len = 0;
  uint32_t q_heads = 0;
  uint32_t kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t input_pos = 0;
  uint32_t context_len = 0;
  uint32_t causal = 1;
  uint32_t scores_stride = 0;
  float scale = 0;
  uint32_t chunk_len = 0;
  uint32_t n_chunks = 0;
  uint32_t row_threads = 0;
};
static_assert(sizeof(KernelParams) == 48, "must match the WGSL Params layout");
static_assert(alignof(KernelParams) == 4);

}  // namespace webattn::attention
