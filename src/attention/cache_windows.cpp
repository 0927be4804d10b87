#include "attention/cache_windows.hpp"

#include "internal.hpp"

#include <algorithm>
#include <numeric>

namespace webattn::attention {

namespace {
constexpr uint32_t kFirstExtraKey = 16, kFirstExtraValue = 24;
// split-kv: q, partial o, partial m/l; flash-prefill: q, out, and the sinks and lse when asked for.
constexpr uint32_t kOtherStorageBindings = 4;

// One window's accessor over `var` (window 0) and `var`_1.. (the others).
std::string reader(const std::string& fn, const std::string& var, const std::string& type, const std::string& unit,
                   uint32_t first_binding, const CacheWindows& w) {
  std::string s;
  for (uint32_t k = 1; k < w.count; ++k)
    s += "@group(0) @binding(" + std::to_string(first_binding + k - 1) + ") var<storage, read> " + var + "_" +
         std::to_string(k) + ": array<" + type + ">;\n";
  s += "fn " + fn + "(i: u32) -> " + type + " {\n";
  if (w.count == 1) return s + "  return " + var + "[i];\n}\n";
  for (uint32_t k = 0; k + 1 < w.count; ++k) {
    const std::string name = k == 0 ? var : var + "_" + std::to_string(k);
    s += "  if (i < " + std::to_string(k + 1) + "u * " + unit + ") { return " + name + "[i - " + std::to_string(k) +
         "u * " + unit + "]; }\n";
  }
  return s + "  return " + var + "_" + std::to_string(w.count - 1) + "[i - " + std::to_string(w.count - 1) + "u * " +
         unit + "];\n}\n";
}

std::string writer(const std::string& fn, const std::string& var, uint32_t first_binding, const CacheWindows& w) {
  std::string s;
  for (uint32_t k = 1; k < w.count; ++k)
    s += "@group(0) @binding(" + std::to_string(first_binding + k - 1) + ") var<storage, read_write> " + var + "_" +
         std::to_string(k) + ": array<KvVec4>;\n";
  s += "fn " + fn + "(i: u32, x: KvVec4) {\n";
  if (w.count == 1) return s + "  " + var + "[i] = x;\n}\n";
  for (uint32_t k = 0; k + 1 < w.count; ++k) {
    const std::string name = k == 0 ? var : var + "_" + std::to_string(k);
    s += "  if (i < " + std::to_string(k + 1) + "u * KV_WINDOW_VEC4S) { " + name + "[i - " + std::to_string(k) +
         "u * KV_WINDOW_VEC4S] = x; return; }\n";
  }
  return s + "  " + var + "_" + std::to_string(w.count - 1) + "[i - " + std::to_string(w.count - 1) +
         "u * KV_WINDOW_VEC4S] = x;\n}\n";
}
}  // namespace

uint64_t cache_row_bytes(const KVCacheConfig& c) {
  return uint64_t{c.kv_heads} * c.head_dim * (c.dtype == DType::F16 ? 2 : 4);
}

namespace {
// Bytes of one cache (K or V) exactly: up to 2^98, past what 64 bits hold.
unsigned __int128 cache_bytes_exact(const KVCacheConfig& c) {
  return static_cast<unsigned __int128>(c.capacity) * c.kv_heads * c.head_dim * (c.dtype == DType::F16 ? 2 : 4);
}
std::string decimal(unsigned __int128 v) {
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return s;
}
}  // namespace

std::string describe_cache(const KVCacheConfig& c) {
  return "a KV cache of capacity " + std::to_string(c.capacity) + " x " + std::to_string(c.kv_heads) + " heads x " +
         std::to_string(c.head_dim) + " (" + to_string(c.dtype) + ") needs " + decimal(cache_bytes_exact(c)) +
         " bytes per cache";
}

uint32_t max_cache_windows(const DeviceLimits& lim) {
  const uint32_t per_stage = lim.max_storage_buffers_per_shader_stage;
  const uint32_t n = per_stage > kOtherStorageBindings ? (per_stage - kOtherStorageBindings) / 2 : 1;
  return std::clamp(n, 1u, kFirstExtraValue - kFirstExtraKey);
}

void validate_cache_config(const DeviceLimits& lim, const KVCacheConfig& config) {
  if (config.capacity == 0) throw ShapeError("KV cache capacity must be at least 1, got 0");
  if (config.kv_heads == 0) throw ShapeError("KV cache kv_heads must be at least 1, got 0");
  if (config.head_dim == 0 || config.head_dim % 4 != 0)
    throw ShapeError("head_dim must be a positive multiple of 4, got " + std::to_string(config.head_dim));
  if (config.dtype != DType::F32 && config.dtype != DType::F16)
    throw ShapeError("KV cache dtype " + std::to_string(static_cast<int>(config.dtype)) +
                     " is not allowed; allowed: f32, f16");
  // Exact (128-bit): a size past 2^64 must not wrap into one that fits.
  if (cache_bytes_exact(config) > lim.max_buffer_size)
    throw UnsupportedError(describe_cache(config) + ", over this device's maxBufferSize " +
                           std::to_string(lim.max_buffer_size));
  cache_windows(lim, config);  // throws if it needs more bindings than kernels can have
}

CacheWindows cache_windows(const DeviceLimits& lim, const KVCacheConfig& c) {
  CacheWindows w;
  w.row_elems = uint64_t{c.kv_heads} * c.head_dim;
  w.row_bytes = cache_row_bytes(c);
  w.total_bytes = w.row_bytes * c.capacity;
  const uint64_t limit = lim.max_storage_buffer_binding_size;
  if (w.total_bytes <= limit) {
    w.rows = c.capacity;
    return w;
  }
  // Windows start at multiples of the offset alignment: whole rows, a multiple of `step` rows.
  const uint64_t align = std::max<uint64_t>(4, lim.min_storage_buffer_offset_alignment);
  const uint64_t step = align / std::gcd(align, w.row_bytes);
  const uint64_t rows = limit / w.row_bytes / step * step;
  if (rows == 0)
    throw UnsupportedError(describe_cache(c) + "; one position (" + std::to_string(w.row_bytes) +
                           " bytes) does not fit this device's maxStorageBufferBindingSize " + std::to_string(limit));
  const uint64_t count = (c.capacity + rows - 1) / rows;
  if (count > max_cache_windows(lim))
    throw UnsupportedError(describe_cache(c) + ": " + std::to_string(count) + " bindings of at most " +
                           std::to_string(rows * w.row_bytes) + " bytes (maxStorageBufferBindingSize " +
                           std::to_string(limit) + "), but this device's " +
                           std::to_string(lim.max_storage_buffers_per_shader_stage) +
                           " storage buffers per shader stage allow " + std::to_string(max_cache_windows(lim)) +
                           " per cache, i.e. " + std::to_string(max_cache_windows(lim) * rows) + " positions");
  w.count = static_cast<uint32_t>(count);
  w.rows = static_cast<uint32_t>(rows);
  return w;
}

std::string cache_access_wgsl(const CacheWindows& w, const std::vector<CacheAccess>& uses) {
  std::string s;
  if (w.count > 1) {  // a KvVec4 is 4 values: 16 bytes in f32 caches, 8 in f16 ones
    const uint64_t vec4_bytes = w.row_bytes * 4 / w.row_elems;
    s = "const KV_WINDOW_VEC4S: u32 = " + std::to_string(uint64_t{w.rows} * w.row_bytes / vec4_bytes) + "u;\n" +
        "const KV_WINDOW_WORDS: u32 = KV_WINDOW_VEC4S * (KV_VEC4_BYTES / KV_WORD_BYTES);\n";
  }
  for (CacheAccess a : uses) switch (a) {
      case CacheAccess::ReadKeys: s += reader("k_vec", "k_cache", "KvVec4", "KV_WINDOW_VEC4S", kFirstExtraKey, w); break;
      case CacheAccess::ReadValues:
        s += reader("v_vec", "v_cache", "KvVec4", "KV_WINDOW_VEC4S", kFirstExtraValue, w);
        break;
      case CacheAccess::ReadValueWords:
        s += reader("v_word", "v_words", "KvWord", "KV_WINDOW_WORDS", kFirstExtraValue, w);
        break;
      case CacheAccess::WriteBoth:
        s += writer("k_put", "k_cache", kFirstExtraKey, w) + writer("v_put", "v_cache", kFirstExtraValue, w);
        break;
    }
  return s;
}

NamedBinding cache_window0(const std::string& var, const CacheWindows& w, const gpu::Buffer& cache) {
  if (w.count == 1) return {var, &cache};
  return {var, &cache, 0, uint64_t{w.rows} * w.row_bytes};
}

void bind_cache_windows(std::vector<gpu::Binding>& bindings, const CacheWindows& w, const KVCache& cache,
                        const std::vector<CacheAccess>& uses) {
  const uint64_t window = uint64_t{w.rows} * w.row_bytes;
  for (CacheAccess a : uses) {
    const bool keys = a == CacheAccess::ReadKeys || a == CacheAccess::WriteBoth;
    const bool values = a != CacheAccess::ReadKeys;
    for (uint32_t k = 1; k < w.count; ++k) {
      const uint64_t offset = k * window, size = std::min(window, w.total_bytes - offset);
      if (keys) bindings.push_back({kFirstExtraKey + k - 1, &gpu_keys(cache), offset, size});
      if (values) bindings.push_back({kFirstExtraValue + k - 1, &gpu_values(cache), offset, size});
    }
  }
}

}  // namespace webattn::attention
