#include <algorithm>
#include <cmath>

#include "internal.hpp"
#include "attention/half.hpp"
#include "attention/algorithm.hpp"

namespace webattn {

const char* to_string(DType d) { return d == DType::F16 ? "f16" : d == DType::F32 ? "f32" : "?"; }

namespace {
uint64_t cache_bytes(const KVCacheConfig& c) { return attention::cache_row_bytes(c) * c.capacity; }
}  // namespace

KVCache::KVCache(Context& ctx, const KVCacheConfig& config) : ctx_(&ctx), config_(config) {
  attention::validate_cache_config(ctx.adapter().limits, config);
  keys_ = std::make_shared<gpu::Buffer>(gpu_device(ctx), cache_bytes(config), "k_cache");
  values_ = std::make_shared<gpu::Buffer>(gpu_device(ctx), cache_bytes(config), "v_cache");
}

KVCache::KVCache(Context& ctx, const KVCacheConfig& config, std::shared_ptr<gpu::Buffer> keys,
                 std::shared_ptr<gpu::Buffer> values)
    : ctx_(&ctx), config_(config), keys_(std::move(keys)), values_(std::move(values)) {}

KVCache KVCache::wrap(Context& ctx, const KVCacheConfig& config, WGPUBuffer keys, uint64_t keys_offset,
                      WGPUBuffer values, uint64_t values_offset) {
  const uint64_t bytes = cache_bytes(config);
  attention::validate_cache_config(ctx.adapter().limits, config);
  if (keys == values && keys_offset < values_offset + bytes && values_offset < keys_offset + bytes)
    throw ShapeError("host KV cache: keys at offset " + std::to_string(keys_offset) + " and values at offset " +
                     std::to_string(values_offset) + " overlap in the same buffer (each cache takes " +
                     std::to_string(bytes) + " bytes)");
  auto k = std::make_shared<gpu::Buffer>(gpu_device(ctx), keys, keys_offset, bytes, "host k_cache");
  auto v = std::make_shared<gpu::Buffer>(gpu_device(ctx), values, values_offset, bytes, "host v_cache");
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
  for (const Tensor* t : {&k_new, &v_new})
    if (&gpu_buffer(*t).device() != &gpu_device(*ctx_))
      throw ShapeError("tensor '" + t->label() + "' belongs to another Context than this KV cache");
  attention::validate_cache_update(config_, k_new, v_new);
  attention::check_position(input_pos, k_new.shape()[0], config_.capacity, "cache capacity");
  gpu::Recorder rec(gpu_device(*ctx_), false);
  attention::KernelParams common;
  common.input_pos = input_pos;
  attention::encode_passes(rec, attention::prepare_cache_update(gpu_device(*ctx_), *this, k_new, v_new), common);
  rec.submit();
}

}  // namespace webattn
