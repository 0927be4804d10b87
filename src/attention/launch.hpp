// What every launcher shares: the cache prelude, flat grids, binding by name, and the
// table types (algorithm.hpp). Each launcher defines its table entry (see algorithm.cpp).
#pragma once
#include <cstdint>
#include <string>

#include "internal.hpp"
#include "attention/algorithm.hpp"
#include "attention/kernel_io.hpp"

namespace webattn::attention {

// The prelude selecting the cache storage type; `native_f16` (f16 caches on devices with
// shader-f16) reads the same bytes as WGSL f16 instead of unpacking u32 words.
std::string kv_prelude(DType dtype, bool native_f16 = false);
// A 1-D launch of `threads` folded into x * y workgroups; *row_threads = x * workgroup.
gpu::Grid flat_grid(const DeviceLimits& limits, uint64_t threads, uint32_t workgroup, uint32_t* row_threads);

// The one pass of a fused prefill kernel (flash-prefill, flash-prefill-tiled): binds `q`,
// the K/V cache windows, `out` and, when asked, the sink logits (binding 5, uploaded and
// owned by the pass) and the lse (binding 6). `spec` builds the module from the generated
// text it must include (cache accessors, sinks, lse, q/out activation accessors, the
// variant flags).
using FusedSpec = std::function<gpu::ShaderSpec(const std::string& extra)>;
PreparedPass fused_prefill_pass(const PrepareInputs& in, const FusedSpec& spec, gpu::Grid grid);

// Split-KV: chunk length so that about target_workgroups (chunk, kv head) workgroups run.
uint32_t split_kv_chunk_len(uint32_t context_len, uint32_t kv_heads, uint32_t target_workgroups);

}  // namespace webattn::attention
