// What every launcher shares: the cache prelude, flat grids, binding by name, and the
// table types (algorithm.hpp). Each launcher defines its table entry (see algorithm.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

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
// `extra_named`: more bindings (flash-prefill's partial states when it splits the context);
// `fill` sets the pass's parameters and returns its grid.
using FusedSpec = std::function<gpu::ShaderSpec(const std::string& extra)>;
// Storage buffers the fused pass binds: q, out, the K and V caches (`windows` bindings each), and the
// sinks, lse and mask asked for; `extra` more (flash-prefill's partial states).
uint32_t fused_prefill_storage(const Settings& st, uint32_t windows, uint32_t extra = 0);
// "" if `storage` buffers fit the device's maxStorageBuffersPerShaderStage, else why not, naming `algorithm`
// and the cache's windows (its bindings). For supports(): Auto then routes around the algorithm, and
// validate() says what forward() would.
std::string storage_why_not(const char* algorithm, uint32_t storage, uint32_t windows, const DeviceLimits& lim);
// The binding lists a pass builds against what supports() counted for it (fused_prefill_storage,
// split-kv's first pass): throws std::logic_error naming `pass` where they differ, so a binding added
// to one and not the other fails every test that prepares that pass instead of reaching a device
// with too few storage buffers.
void expect_storage_count(const char* pass, size_t bound, uint32_t counted);
// One dimension of a pass's grid: what its workgroups are (e.g. "kv heads") and how many there can be.
struct GridDim {
  std::string what;
  uint64_t count;
};
// "" if every dimension fits the device's maxComputeWorkgroupsPerDimension, else why not, naming
// `algorithm`, the dimension and its count. For supports(): Recorder::dispatch refuses such a grid,
// so validate() and Auto must know it first.
std::string grid_why_not(const char* algorithm, const std::vector<GridDim>& dims, const DeviceLimits& lim);
// `update_cache` (flash-prefill only, calls at input_pos 0): the pass also writes k_new / v_new into
// the cache at position 0 and reads every key from k_new / v_new (the caches bound read_write and only
// written, two more storage bindings, the cache in one window; a step at another input_pos throws
// std::logic_error); else the cache is bound read-only and the Sdpa's separate update pass writes it first.
PreparedPass fused_prefill_pass(const PrepareInputs& in, const FusedSpec& spec,
                                std::function<gpu::Grid(KernelParams&)> fill,
                                const std::vector<NamedBinding>& extra_named = {}, bool update_cache = false);
// WGSL `fn cache_vec4_of(v: vec4<f32>) -> KvVec4`: v as the cache (prelude `kv`) stores it, rounded to
// f16 in an f16 cache. The packed words pass through an integer OR with a zero the compiler cannot see:
// Mesa folds unpack(pack(x)) to x otherwise (lavapipe: f16 cases off by rel 1e-5..1.5e-4).
std::string cache_vec4_of_wgsl(const std::string& kv);

// Split-KV's merge (split_kv_reduce): one workgroup per (query row, kv head) combines the
// n_chunks partial states [Hkv, n_chunks, S*g] of part_o (D/4 vec4 each) and part_ml (m, l)
// with log-sum-exp weights into `out`, adding the sinks and writing the LSE where asked.
// `fused`: it also writes the step's k_new / v_new into the cache and attends to them
// (split-kv decode only). `chunking` sets n_chunks / chunk_len as the producing pass did;
// max_chunks (the most any call can have) sizes the workgroup. Used by split-kv decode and by
// flash-prefill when it splits the context of short prompts.
PreparedPass split_kv_merge_pass(const PrepareInputs& in, const gpu::Buffer& part_o, const gpu::Buffer& part_ml,
                                 uint64_t max_chunks, bool fused, std::function<void(KernelParams&)> chunking);

// Split-KV: chunk length so that about target_workgroups (chunk, kv head) workgroups run.
uint32_t split_kv_chunk_len(uint32_t context_len, uint32_t kv_heads, uint32_t target_workgroups);
// The same with chunks of min_chunk (a multiple of 32) to max_chunk keys (long contexts may still
// take longer ones).
uint32_t split_kv_chunk_len(uint32_t context_len, uint32_t kv_heads, uint32_t target_workgroups, uint32_t max_chunk,
                            uint32_t min_chunk);
// The most chunks split_kv_chunk_len gives any context length in [lo, hi] (lo 0 counts as 1): what a
// call's or plan's partial states are sized for. Exact; O(distinct chunk lengths x log(hi - lo)).
uint64_t split_kv_most_chunks(uint32_t lo, uint32_t hi, uint32_t kv_heads, uint32_t target_workgroups,
                              uint32_t max_chunk, uint32_t min_chunk);

// The measurement switches in the environment (README, "Running on a real GPU"), parsed as the
// kernels' prepare steps parse them: throws ConfigError naming the first value a switch does not
// take. The kernels read them only when a plan is prepared (and flash-prefill's only where options
// and tuning leave its shape to the rule); the CLI calls these first, so a bad value ends it
// before any GPU work.
void check_split_kv_switches();
void check_flash_prefill_switches();

}  // namespace webattn::attention
