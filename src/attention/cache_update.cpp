// The cache update: k_new / v_new [S, Hkv, D] written into the caches at input_pos,
// converted to the cache's storage type. A prepared step like an algorithm's passes.
#include <algorithm>
#include <numeric>

#include "attention/launch.hpp"

namespace webattn::attention {

void validate_cache_update(const KVCacheConfig& c, const Tensor& k_new, const Tensor& v_new) {
  for (const Tensor* t : {&k_new, &v_new}) {
    const auto& sh = t->shape();
    if (sh.size() != 3 || sh[0] == 0 || sh[1] != c.kv_heads || sh[2] != c.head_dim)
      throw ShapeError("'" + t->label() + "' must be [S, " + std::to_string(c.kv_heads) + ", " +
                       std::to_string(c.head_dim) + "] to match the cache, got " + shape_string(sh));
  }
  if (k_new.shape() != v_new.shape())
    throw ShapeError("k_new " + shape_string(k_new.shape()) + " and v_new " + shape_string(v_new.shape()) +
                     " differ");
}

std::vector<PreparedPass> prepare_cache_update(gpu::Device& dev, const KVCache& cache, const Tensor& k_new,
                                               const Tensor& v_new) {
  const auto& c = cache.config();
  validate_cache_update(c, k_new, v_new);
  const uint32_t S = k_new.shape()[0];
  constexpr uint32_t wg = 256;
  const CacheWindows w = cache_windows(dev, c);
  const std::vector<CacheAccess> uses{CacheAccess::WriteBoth};
  const gpu::ShaderSpec spec{"update_cache",
                             {"attention_params", kv_prelude(c.dtype)},
                             cache_access_wgsl(w, uses) +
                                 activations_wgsl({{"k_new", k_new.dtype()}, {"v_new", v_new.dtype()}}) +
                                 variant_wgsl({}),
                             {{"WG", wg}}};
  std::vector<gpu::Binding> windows;
  bind_cache_windows(windows, w, cache, uses);
  // New rows beyond one binding (a long prompt written at once) go in pieces, each binding
  // its rows of k_new / v_new at an aligned offset. Each may be f32 or f16: the wider rows
  // set the piece's size, the narrower ones its alignment (rows of D/4 vec4s: powers of two
  // apart, so a piece aligned for the narrower rows is aligned for the wider too).
  const DeviceLimits& lim = dev.limits();
  const uint64_t values_per_row = uint64_t{c.kv_heads} * c.head_dim;
  const uint64_t k_row = values_per_row * (k_new.dtype() == DType::F16 ? 2 : 4);
  const uint64_t v_row = values_per_row * (v_new.dtype() == DType::F16 ? 2 : 4);
  const uint64_t row_bytes = std::max(k_row, v_row);
  uint64_t piece = S;
  if (S * row_bytes > lim.max_storage_buffer_binding_size) {
    const uint64_t align = std::max<uint64_t>(4, lim.min_storage_buffer_offset_alignment);
    const uint64_t step = align / std::gcd(align, std::min(k_row, v_row));
    piece = lim.max_storage_buffer_binding_size / row_bytes / step * step;
    if (piece == 0)
      throw UnsupportedError("one row of '" + k_new.label() + "' (" + std::to_string(row_bytes) +
                             " bytes) does not fit this device's maxStorageBufferBindingSize");
  }
  std::vector<PreparedPass> passes;
  for (uint64_t r0 = 0; r0 < S; r0 += piece) {
    const auto n = static_cast<uint32_t>(std::min<uint64_t>(piece, S - r0));
    uint32_t row_threads = 0;
    const gpu::Grid grid = flat_grid(lim, uint64_t{n} * c.kv_heads * c.head_dim / 4, wg, &row_threads);
    passes.push_back(make_pass(
        dev, spec,
        {{"k_new", &gpu_buffer(k_new), r0 * k_row, n * k_row},
         {"v_new", &gpu_buffer(v_new), r0 * v_row, n * v_row},
         cache_window0("k_cache", w, gpu_keys(cache)), cache_window0("v_cache", w, gpu_values(cache))},
        [=, kv_heads = c.kv_heads, head_dim = c.head_dim](KernelParams& prm) {
          const uint32_t input_pos = prm.input_pos + static_cast<uint32_t>(r0);
          prm = KernelParams{};  // the update reads only these
          prm.seq_len = n;
          prm.kv_heads = kv_heads;
          prm.head_dim = head_dim;
          prm.input_pos = input_pos;
          prm.row_threads = row_threads;
          return grid;
        },
        windows));
  }
  return passes;
}

}  // namespace webattn::attention
