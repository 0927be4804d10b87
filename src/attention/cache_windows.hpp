// KV caches larger than one storage binding (maxStorageBufferBindingSize, e.g. 128 MiB on
// lavapipe) live in one buffer but are bound as several windows of whole cache rows. The
// kernels read and write the cache only through accessors (k_vec, v_vec, v_word, k_put,
// v_put) that this file generates: with one window they index the binding directly; with
// more they pick the window by index.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "attention/kernel_io.hpp"
#include "gpu/recorder.hpp"
#include "webattn/attention.hpp"

namespace webattn::attention {

struct CacheWindows {
  uint32_t count = 1;       // bindings per cache (K or V)
  uint32_t rows = 0;        // cache positions per window (the last may hold fewer)
  uint64_t row_elems = 0;   // one position, all kv heads: Hkv * D values
  uint64_t row_bytes = 0;
  uint64_t total_bytes = 0; // one cache
};

// Bytes of one cache position (all kv heads) in the cache's storage type.
uint64_t cache_row_bytes(const KVCacheConfig& c);
// "a KV cache of capacity C x H heads x D (dtype) needs N bytes per cache": how every
// size error about a cache begins.
std::string describe_cache(const KVCacheConfig& c);
// Throws ShapeError for a zero capacity / kv_heads or a head_dim that is not a positive
// multiple of 4, UnsupportedError when the cache exceeds maxBufferSize or the bindings a
// kernel can have. Needs no GPU work (KVCache's constructors and Sdpa::validate call it).
void validate_cache(const Context& ctx, const KVCacheConfig& config);

// The most windows any kernel can bind: the flash / split-kv passes bind 3 other storage
// buffers besides K and V windows.
uint32_t max_cache_windows(const DeviceLimits& limits);
inline uint32_t max_cache_windows(const gpu::Device& dev) { return max_cache_windows(dev.limits()); }
// Windows for this cache on this device; throws UnsupportedError naming the sizes when it
// needs more than max_cache_windows().
CacheWindows cache_windows(const DeviceLimits& limits, const KVCacheConfig& config);
inline CacheWindows cache_windows(const gpu::Device& dev, const KVCacheConfig& config) {
  return cache_windows(dev.limits(), config);
}
// The rules every cache obeys, owned or wrapped: capacity and kv_heads >= 1, head_dim a
// positive multiple of 4 (ShapeError); within maxBufferSize and the windows a kernel can
// bind (UnsupportedError naming the sizes).
void validate_cache_config(const DeviceLimits& limits, const KVCacheConfig& config);

// Which accessors a kernel uses. `binding` is the kernel's own binding of window 0.
enum class CacheAccess {
  ReadKeys,      // fn k_vec(i) -> KvVec4         over `k_cache`, extra windows at 16..
  ReadValues,    // fn v_vec(i) -> KvVec4         over `v_cache`, extra windows at 24..
  ReadValueWords,// fn v_word(i) -> KvWord        over `v_words`, extra windows at 24..
  WriteBoth,     // fn k_put(i, x), v_put(i, x)   over `k_cache` / `v_cache` (read_write)
};
// WGSL text (prepended to the kernel) declaring extra windows and the accessors.
std::string cache_access_wgsl(const CacheWindows& w, const std::vector<CacheAccess>& uses);
// Bindings of the extra windows (window 0 is bound by the launcher at offset 0, one
// window's bytes long) for the given uses.
void bind_cache_windows(std::vector<gpu::Binding>& bindings, const CacheWindows& w, const KVCache& cache,
                        const std::vector<CacheAccess>& uses);
// Window 0 of the K or V cache, bound to the kernel's variable `var`.
NamedBinding cache_window0(const std::string& var, const CacheWindows& w, const gpu::Buffer& cache);

}  // namespace webattn::attention
