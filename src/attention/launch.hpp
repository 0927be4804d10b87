// Launchers: each encodes one algorithm's passes into a Recorder. Every launcher has
// its cost model beside it (cost.cpp) so the benchmark can print %-of-floor.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "attention/cache_windows.hpp"
#include "attention/kernel_params.hpp"
#include "attention/workspace.hpp"
#include "gpu/recorder.hpp"
#include "webattn/attention.hpp"

namespace webattn::attention {

struct Problem {
  const Tensor& q;
  const KVCache& cache;
  Tensor& out;
  KernelParams params;  // shape, positions, scale, causal
  std::string kv;       // the prelude reading the cache: kv_f32, kv_f16 or kv_f16_native
  CacheWindows windows; // how the cache is bound (one window unless over the binding limit)
};

// The prelude selecting the cache storage type; `native_f16` (f16 caches on devices with
// shader-f16) reads the same bytes as WGSL f16 instead of unpacking u32 words.
std::string kv_prelude(DType dtype, bool native_f16 = false);
gpu::Grid flat_grid(gpu::Device& device, uint64_t threads, uint32_t workgroup, uint32_t* row_threads);

void encode_cache_update(gpu::Recorder& rec, const KVCache& cache, const Tensor& k_new, const Tensor& v_new,
                         uint32_t input_pos);

// Whether the [Hq, S, context rounded up to 4] fp32 score matrix fits one binding.
bool three_pass_supported(const gpu::Device& dev, uint32_t q_heads, uint32_t seq_len, uint32_t context_len,
                          std::string* why_not);
// Three-pass: qk_scores -> softmax -> av_{strided|coalesced}. Throws UnsupportedError
// if the score matrix exceeds the device's binding size.
void encode_three_pass(gpu::Recorder& rec, Workspace& ws, const Problem& pb, bool coalesced);

// Sizes the score matrix for contexts up to max_context (plans reserve it once).
void reserve_three_pass(Workspace& ws, const gpu::Device& dev, KernelParams prm, uint32_t max_context);

// Fused flash prefill. `why_not` explains when the shape/device cannot run it.
bool flash_prefill_supported(const gpu::Device& dev, uint32_t head_dim, std::string* why_not);
// preferred_keys_per_tile: 16, 32, 48 or 64 from tuning (0: the largest that fits);
// preferred_threads_x: 16 (64-row tiles) or 8 (128-row tiles) from tuning (0: 16).
void encode_flash_prefill(gpu::Recorder& rec, const Problem& pb, uint32_t preferred_keys_per_tile,
                          uint32_t preferred_threads_x);

// Split-KV decode + log-sum-exp reduce.
bool split_kv_supported(const gpu::Device& dev, uint32_t rows, uint32_t head_dim, std::string* why_not);
// Chunk length so that about target_workgroups (chunk, kv head) workgroups run.
uint32_t split_kv_chunk_len(uint32_t context_len, uint32_t kv_heads, uint32_t target_workgroups);
void encode_split_kv(gpu::Recorder& rec, Workspace& ws, const Problem& pb, uint32_t target_workgroups);
// Sizes the partial-state buffers for every context length up to max_context.
void reserve_split_kv(Workspace& ws, const KernelParams& prm, uint32_t max_context, uint32_t target_workgroups);

}  // namespace webattn::attention
