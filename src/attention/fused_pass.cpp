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

std::string cache_vec4_of_wgsl(const std::string& kv) {
  if (kv == "kv_f16")
    return "fn cache_vec4_of(v: vec4<f32>) -> KvVec4 {\n"
           "  let z = select(0u, 1u, p.seq_len == 0u);\n"
           "  let w = kv_pack(v);\n"
           "  return vec2<u32>(w.x | z, w.y | z);\n}\n";
  if (kv == "kv_f16_native")
    return "fn cache_vec4_of(v: vec4<f32>) -> KvVec4 {\n"
           "  let z = select(0u, 1u, p.seq_len == 0u);\n"
           "  let w = bitcast<vec2<u32>>(kv_pack(v));\n"
           "  return bitcast<vec4<f16>>(vec2<u32>(w.x | z, w.y | z));\n}\n";
  return "fn cache_vec4_of(v: vec4<f32>) -> KvVec4 { return v; }\n";
}

namespace {
// The K/V cache bindings of a fused prefill pass and the accessors its tile loads go through
// (k_src / v_src at cache index `idx`). With the update fused (FUSED_UPDATE, only for calls whose
// keys are all their own: input_pos 0) the caches are bound read_write and only written, by
// put_new_rows(first, stride) (the cache-update kernel's work, grid-strided over the pass's
// invocations), and every tile comes from k_new / v_new (same index: input_pos is 0) as the cache
// will hold it, so no workgroup waits for another's stores. Reading through the read_write binding
// or picking the source per key costs the loads too much (H200, bench/RESULTS.md, session 18).
std::string cache_bindings_wgsl(const PrepareInputs& in, bool update) {
  const std::string mode = update ? "read_write" : "read";
  std::string s = std::string("const FUSED_UPDATE: bool = ") + (update ? "true" : "false") + ";\n" +
                  "@group(0) @binding(2) var<storage, " + mode + "> k_cache: array<KvVec4>;\n" +
                  "@group(0) @binding(3) var<storage, " + mode + "> v_cache: array<KvVec4>;\n";
  if (!update)
    return s +
           "fn k_src(idx: u32) -> KvVec4 { return k_vec(idx); }\n"
           "fn v_src(idx: u32) -> KvVec4 { return v_vec(idx); }\n"
           "fn put_new_rows(first: u32, stride: u32) {}\n";
  return s + "@group(0) @binding(10) var<storage, read> k_new: array<k_new_vec4>;\n" +
         "@group(0) @binding(11) var<storage, read> v_new: array<v_new_vec4>;\n" + cache_vec4_of_wgsl(in.kv) +
         "fn k_src(idx: u32) -> KvVec4 { return cache_vec4_of(k_new_unpack(k_new[idx])); }\n"
         "fn v_src(idx: u32) -> KvVec4 { return cache_vec4_of(v_new_unpack(v_new[idx])); }\n"
         "fn put_new_rows(first: u32, stride: u32) {\n"
         "  let n4 = p.seq_len * p.kv_heads * D4;\n"
         "  for (var i: u32 = first; i < n4; i = i + stride) {\n"
         "    k_put(i, kv_pack(k_new_unpack(k_new[i])));\n"
         "    v_put(i, kv_pack(v_new_unpack(v_new[i])));\n"
         "  }\n}\n" +
         cache_access_wgsl(in.windows, {CacheAccess::WriteBoth}) +
         activations_wgsl({{"k_new", in.op.k_new.dtype()}, {"v_new", in.op.v_new.dtype()}});
}
}  // namespace

PreparedPass fused_prefill_pass(const PrepareInputs& in, const FusedSpec& spec,
                                std::function<gpu::Grid(KernelParams&)> fill,
                                const std::vector<NamedBinding>& extra_named, bool update_cache) {
  const auto& w = in.windows;
  if (update_cache && w.count != 1)
    throw std::logic_error("internal: flash-prefill's fused cache update asked for a cache in " +
                           std::to_string(w.count) + " windows (it needs one)");
  const std::vector<CacheAccess> reads{CacheAccess::ReadKeys, CacheAccess::ReadValues};
  std::vector<gpu::Binding> windows;
  bind_cache_windows(windows, w, in.op.cache, reads);
  std::vector<NamedBinding> named{{"q", &gpu_buffer(in.op.q)}, cache_window0("k_cache", w, gpu_keys(in.op.cache)),
                                  cache_window0("v_cache", w, gpu_values(in.op.cache)),
                                  {"out", &gpu_buffer(in.op.out)}};
  if (update_cache) {
    const uint64_t values = uint64_t{in.shape.seq_len} * in.shape.cache.kv_heads * in.shape.cache.head_dim;
    for (const auto& [var, t] : {std::pair<const char*, const Tensor*>{"k_new", &in.op.k_new}, {"v_new", &in.op.v_new}})
      named.push_back({var, &gpu_buffer(*t), 0, values * (t->dtype() == DType::F16 ? 2 : 4)});
  }
  std::shared_ptr<gpu::Buffer> sinks;
  if (!in.settings.sinks.empty()) {
    sinks = upload_sinks(in.device, in.settings);
    named.push_back({"sinks", sinks.get()});
  }
  if (in.op.lse) named.push_back({"lse", &gpu_buffer(*in.op.lse)});
  if (in.op.mask) named.push_back({"mask", &gpu_buffer(*in.op.mask)});
  named.insert(named.end(), extra_named.begin(), extra_named.end());
  expect_storage_count("flash-prefill's fused pass", named.size() + windows.size(),
                       fused_prefill_storage(in.settings, w.count,
                                             static_cast<uint32_t>(extra_named.size()) + (update_cache ? 2 : 0)));
  if (update_cache)  // the fused form reads no cache row: only right where every key is the call's own
    fill = [inner = std::move(fill)](KernelParams& prm) {
      if (prm.input_pos != 0)
        throw std::logic_error("internal: flash-prefill's fused cache update run at input_pos " +
                               std::to_string(prm.input_pos) + " (it needs 0)");
      return inner(prm);
    };
  PreparedPass pass = make_pass(
      in.device,
      spec(cache_bindings_wgsl(in, update_cache) + cache_access_wgsl(w, reads) + sinks_wgsl(in.settings, 5) + lse_wgsl(in.settings, 6) +
               alibi_wgsl(in.settings, in.shape.q_heads) + mask_wgsl(in.settings, 7) +
               activations_wgsl({{"q", in.op.q.dtype()}, {"out", in.op.out.dtype()}}) + variant_wgsl(in.settings)),
      named, std::move(fill), windows);
  pass.owned = std::move(sinks);
  return pass;
}

}  // namespace webattn::attention
