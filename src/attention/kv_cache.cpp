#include <algorithm>
#include <cmath>
#include <numeric>

#include "attention/half.hpp"
#include "attention/launch.hpp"

namespace webattn {

const char* to_string(DType d) { return d == DType::F16 ? "f16" : "f32"; }

namespace {
uint64_t cache_bytes(const KVCacheConfig& c) { return attention::cache_row_bytes(c) * c.capacity; }
}  // namespace

// Shape rules and the device limits every cache obeys, owned or wrapped.
void attention::validate_cache(const Context& ctx, const KVCacheConfig& config) {
  if (config.capacity == 0) throw ShapeError("KV cache capacity must be at least 1, got 0");
  if (config.kv_heads == 0) throw ShapeError("KV cache kv_heads must be at least 1, got 0");
  if (config.head_dim == 0 || config.head_dim % 4 != 0)
    throw ShapeError("head_dim must be a positive multiple of 4, got " + std::to_string(config.head_dim));
  const auto& lim = ctx.adapter().limits;
  // kv_heads * head_dim * 4 fits 64 bits; times capacity may not (absurd sizes from a CLI).
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(attention::cache_row_bytes(config), uint64_t{config.capacity}, &bytes) ||
      bytes > lim.max_buffer_size)
    throw UnsupportedError(attention::describe_cache(config) + ", over this device's maxBufferSize " +
                           std::to_string(lim.max_buffer_size));
  attention::cache_windows(ctx.device(), config);  // throws if it needs more bindings than kernels can have
}

KVCache::KVCache(Context& ctx, const KVCacheConfig& config) : ctx_(&ctx), config_(config) {
  attention::validate_cache(ctx, config);
  keys_ = std::make_shared<gpu::Buffer>(ctx.device(), cache_bytes(config), "k_cache");
  values_ = std::make_shared<gpu::Buffer>(ctx.device(), cache_bytes(config), "v_cache");
}

KVCache::KVCache(Context& ctx, const KVCacheConfig& config, std::shared_ptr<gpu::Buffer> keys,
                 std::shared_ptr<gpu::Buffer> values)
    : ctx_(&ctx), config_(config), keys_(std::move(keys)), values_(std::move(values)) {}

KVCache KVCache::wrap(Context& ctx, const KVCacheConfig& config, WGPUBuffer keys, uint64_t keys_offset,
                      WGPUBuffer values, uint64_t values_offset) {
  attention::validate_cache(ctx, config);
  const uint64_t bytes = cache_bytes(config);
  if (keys == values && keys_offset < values_offset + bytes && values_offset < keys_offset + bytes)
    throw ShapeError("host KV cache: keys at offset " + std::to_string(keys_offset) + " and values at offset " +
                     std::to_string(values_offset) + " overlap in the same buffer (each cache takes " +
                     std::to_string(bytes) + " bytes)");
  auto k = std::make_shared<gpu::Buffer>(ctx.device(), keys, keys_offset, bytes, "host k_cache");
  auto v = std::make_shared<gpu::Buffer>(ctx.device(), values, values_offset, bytes, "host v_cache");
  return KVCache(ctx, config, std::move(k), std::move(v));
}

uint64_t KVCache::bytes_per_position() const { return attention::cache_row_bytes(config_); }

namespace {
std::vector<float> widen(const gpu::Buffer& buf, const KVCacheConfig& c) {
  const uint64_t n = uint64_t{c.capacity} * c.kv_heads * c.head_dim;
  if (c.dtype == DType::F32) return buf.download<float>(n);
  auto halves = buf.download<uint16_t>(n);
  std::vector<float> out(n);
  for (uint64_t i = 0; i < n; ++i) out[i] = half::to_float(halves[i]);
  return out;
}
}  // namespace

std::vector<float> KVCache::download_keys() const { return widen(*keys_, config_); }
std::vector<float> KVCache::download_values() const { return widen(*values_, config_); }

void KVCache::update(const Tensor& k_new, const Tensor& v_new, uint32_t input_pos) {
  gpu::Recorder rec(ctx_->device(), false);
  attention::encode_cache_update(rec, *this, k_new, v_new, input_pos);
  rec.submit();
}

namespace attention {

std::string kv_prelude(DType dtype, bool native_f16) {
  if (dtype == DType::F32) return "kv_f32";
  return native_f16 ? "kv_f16_native" : "kv_f16";
}

gpu::Grid flat_grid(gpu::Device& device, uint64_t threads, uint32_t workgroup, uint32_t* row_threads) {
  const uint64_t groups = (threads + workgroup - 1) / workgroup;
  const uint64_t max_dim = device.limits().max_compute_workgroups_per_dimension;
  const auto x = static_cast<uint32_t>(std::min<uint64_t>(std::max<uint64_t>(groups, 1), max_dim));
  const auto y = static_cast<uint32_t>((groups + x - 1) / x);
  *row_threads = x * workgroup;
  return {x, std::max(y, 1u), 1};
}

void encode_cache_update(gpu::Recorder& rec, const KVCache& cache, const Tensor& k_new, const Tensor& v_new,
                         uint32_t input_pos) {
  const auto& c = cache.config();
  for (const Tensor* t : {&k_new, &v_new}) {
    const auto& sh = t->shape();
    if (sh.size() != 3 || sh[0] == 0 || sh[1] != c.kv_heads || sh[2] != c.head_dim)
      throw ShapeError("'" + t->label() + "' must be [S, " + std::to_string(c.kv_heads) + ", " +
                       std::to_string(c.head_dim) + "] to match the cache, got " + shape_string(sh));
  }
  if (k_new.shape() != v_new.shape())
    throw ShapeError("k_new " + shape_string(k_new.shape()) + " and v_new " + shape_string(v_new.shape()) +
                     " differ");
  const uint32_t S = k_new.shape()[0];
  if (uint64_t{input_pos} + S > c.capacity)
    throw ShapeError("input_pos " + std::to_string(input_pos) + " + S " + std::to_string(S) +
                     " exceeds cache capacity " + std::to_string(c.capacity));
  auto& dev = cache.context().device();
  const uint32_t wg = 256;
  const CacheWindows w = cache_windows(dev, c);
  const std::vector<CacheAccess> uses{CacheAccess::WriteBoth};
  const auto& pipe = dev.pipelines().get(
      {"update_cache", {"attention_params", kv_prelude(c.dtype)}, cache_access_wgsl(w, uses), {{"WG", wg}}});
  // New rows beyond one binding (a long prompt written at once) go in pieces, each binding
  // its rows of k_new / v_new at an aligned offset.
  const uint64_t row_bytes = uint64_t{c.kv_heads} * c.head_dim * 4;
  uint64_t piece = S;
  if (S * row_bytes > dev.limits().max_storage_buffer_binding_size) {
    const uint64_t align = std::max<uint64_t>(4, dev.limits().min_storage_buffer_offset_alignment);
    const uint64_t step = align / std::gcd(align, row_bytes);
    piece = dev.limits().max_storage_buffer_binding_size / row_bytes / step * step;
    if (piece == 0)
      throw UnsupportedError("one row of '" + k_new.label() + "' (" + std::to_string(row_bytes) +
                             " bytes) does not fit this device's maxStorageBufferBindingSize");
  }
  for (uint64_t r0 = 0; r0 < S; r0 += piece) {
    const auto n = static_cast<uint32_t>(std::min<uint64_t>(piece, S - r0));
    KernelParams prm;
    prm.seq_len = n;
    prm.kv_heads = c.kv_heads;
    prm.head_dim = c.head_dim;
    prm.input_pos = input_pos + static_cast<uint32_t>(r0);
    gpu::Grid grid = flat_grid(dev, uint64_t{n} * c.kv_heads * c.head_dim / 4, wg, &prm.row_threads);
    std::vector<gpu::Binding> bindings{{1, &k_new.buffer(), r0 * row_bytes, n * row_bytes},
                                       {2, &v_new.buffer(), r0 * row_bytes, n * row_bytes},
                                       cache_window0(3, w, cache.keys()), cache_window0(4, w, cache.values())};
    bind_cache_windows(bindings, w, cache, uses);
    rec.dispatch("update_cache", pipe, prm, bindings, grid);
  }
}

}  // namespace attention
}  // namespace webattn
