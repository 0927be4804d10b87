// What the fused prefill launchers share: binding q, the cache windows, out, sinks, lse and
// the mask; the ALiBi slopes and the activation dtypes of q and out (f32 or packed f16).
#include "attention/launch.hpp"

#include <stdexcept>
#include <string>

namespace webattn::attention {

uint32_t fused_prefill_storage(const Settings& st, uint32_t windows, uint32_t extra) {
  return 2 + 2 * windows + (st.sinks.empty() ? 0 : 1) + (st.lse ? 1 : 0) + (st.mask ? 1 : 0) + extra;
}

std::string storage_why_not(const char* algorithm, uint32_t storage, uint32_t windows, const DeviceLimits& lim) {
  if (storage <= lim.max_storage_buffers_per_shader_stage) return "";
  return std::string(algorithm) + ": needs " + std::to_string(storage) + " storage buffers in one pass (the K and V caches " +
         "bound as " + std::to_string(windows) + " window" + (windows == 1 ? "" : "s") +
         " each, and the call's other tensors), over this device's " +
         std::to_string(lim.max_storage_buffers_per_shader_stage) + " per shader stage";
}

void expect_storage_count(const char* pass, size_t bound, uint32_t counted) {
  if (bound == counted) return;
  std::string what = "internal: ";
  what += pass;
  what += " binds " + std::to_string(bound) + " storage buffers where its supports() counted " + std::to_string(counted);
  throw std::logic_error(what);
}

std::string grid_why_not(const char* algorithm, const std::vector<GridDim>& dims, const DeviceLimits& lim) {
  for (const GridDim& d : dims)
    if (d.count > lim.max_compute_workgroups_per_dimension)
      return std::string(algorithm) + ": " + std::to_string(d.count) + " " + d.what +
             " (workgroups along one grid dimension) exceed this device's maxComputeWorkgroupsPerDimension " +
             std::to_string(lim.max_compute_workgroups_per_dimension);
  return "";
}

PreparedPass fused_prefill_pass(const PrepareInputs& in, const FusedSpec& spec,
                                std::function<gpu::Grid(KernelParams&)> fill,
                                const std::vector<NamedBinding>& extra_named) {
  const auto& w = in.windows;
  const std::vector<CacheAccess> reads{CacheAccess::ReadKeys, CacheAccess::ReadValues};
  std::vector<gpu::Binding> windows;
  bind_cache_windows(windows, w, in.op.cache, reads);
  std::vector<NamedBinding> named{{"q", &gpu_buffer(in.op.q)}, cache_window0("k_cache", w, gpu_keys(in.op.cache)),
                                  cache_window0("v_cache", w, gpu_values(in.op.cache)),
                                  {"out", &gpu_buffer(in.op.out)}};
  std::shared_ptr<gpu::Buffer> sinks;
  if (!in.settings.sinks.empty()) {
    sinks = upload_sinks(in.device, in.settings);
    named.push_back({"sinks", sinks.get()});
  }
  if (in.op.lse) named.push_back({"lse", &gpu_buffer(*in.op.lse)});
  if (in.op.mask) named.push_back({"mask", &gpu_buffer(*in.op.mask)});
  named.insert(named.end(), extra_named.begin(), extra_named.end());
  expect_storage_count("flash-prefill's fused pass", named.size() + windows.size(),
                       fused_prefill_storage(in.settings, w.count, static_cast<uint32_t>(extra_named.size())));
  PreparedPass pass = make_pass(
      in.device,
      spec(cache_access_wgsl(w, reads) + sinks_wgsl(in.settings, 5) + lse_wgsl(in.settings, 6) +
               alibi_wgsl(in.settings, in.shape.q_heads) + mask_wgsl(in.settings, 7) +
               activations_wgsl({{"q", in.op.q.dtype()}, {"out", in.op.out.dtype()}}) + variant_wgsl(in.settings)),
      named, std::move(fill), windows);
  pass.owned = std::move(sinks);
  return pass;
}

}  // namespace webattn::attention
