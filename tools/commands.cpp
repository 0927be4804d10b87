#include "commands.hpp"

#include <fmt/core.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "webattn/probe.hpp"

namespace webattn::cli {

void DeviceArgs::add(CLI::App& app) {
  app.add_option("--adapter", adapter, "adapter index (see `webattn devices`) or a substring of its name");
}

ContextOptions DeviceArgs::options() const {
  ContextOptions o;
  o.adapter = adapter;
  return o;
}

namespace {

std::string mib(uint64_t bytes) { return fmt::format("{:.0f} MiB", static_cast<double>(bytes) / (1 << 20)); }

nlohmann::json adapter_json(const AdapterSummary& a) {
  return {{"index", a.index},
          {"device", a.device},
          {"vendor", a.vendor},
          {"architecture", a.architecture},
          {"description", a.description},
          {"backend", a.backend},
          {"type", a.adapter_type},
          {"vendor_id", a.vendor_id},
          {"device_id", a.device_id},
          {"features",
           {{"timestamp-query", a.timestamp_query}, {"subgroups", a.subgroups}, {"shader-f16", a.shader_f16}}},
          {"subgroup_size", {a.subgroup_min_size, a.subgroup_max_size}},
          {"limits",
           {{"maxBufferSize", a.limits.max_buffer_size},
            {"maxStorageBufferBindingSize", a.limits.max_storage_buffer_binding_size},
            {"maxStorageBuffersPerShaderStage", a.limits.max_storage_buffers_per_shader_stage},
            {"maxComputeWorkgroupStorageSize", a.limits.max_compute_workgroup_storage_size},
            {"maxComputeInvocationsPerWorkgroup", a.limits.max_compute_invocations_per_workgroup},
            {"maxComputeWorkgroupsPerDimension", a.limits.max_compute_workgroups_per_dimension}}}};
}

}  // namespace

Runner add_devices(CLI::App& app) {
  auto json_path = std::make_shared<std::string>();
  app.add_option("--json", *json_path, "also write the list as JSON to this file");
  return [json_path] {
    auto adapters = Context::list_adapters();
    if (adapters.empty()) {
      fmt::print(stderr, "no WebGPU adapter found (Dawn needs a Vulkan driver; run scripts/setup.sh)\n");
      return 1;
    }
    nlohmann::json all = nlohmann::json::array();
    for (const auto& a : adapters) {
      fmt::print("[{}] {} ({}, {}, {})\n", a.index, a.device, a.backend, a.adapter_type, a.vendor);
      if (!a.description.empty()) fmt::print("    driver: {}\n", a.description);
      fmt::print("    features: timestamp-query {}, subgroups {} (size {}..{}), shader-f16 {}\n",
                 a.timestamp_query ? "yes" : "no", a.subgroups ? "yes" : "no", a.subgroup_min_size,
                 a.subgroup_max_size, a.shader_f16 ? "yes" : "no");
      fmt::print("    limits: maxBufferSize {}, maxStorageBufferBindingSize {}, workgroup storage {} B,\n"
                 "            invocations/workgroup {}, workgroups/dimension {}\n",
                 mib(a.limits.max_buffer_size), mib(a.limits.max_storage_buffer_binding_size),
                 a.limits.max_compute_workgroup_storage_size, a.limits.max_compute_invocations_per_workgroup,
                 a.limits.max_compute_workgroups_per_dimension);
      all.push_back(adapter_json(a));
    }
    if (!json_path->empty()) std::ofstream(*json_path) << all.dump(2) << "\n";
    return 0;
  };
}

Runner add_probe(CLI::App& app) {
  auto dev = std::make_shared<DeviceArgs>();
  auto opts = std::make_shared<ProbeOptions>();
  auto json_path = std::make_shared<std::string>();
  dev->add(app);
  app.add_option("--repeats", opts->repeats, "timed repeats (median reported)")->check(CLI::PositiveNumber);
  app.add_option("--copy-mib", opts->copy_bytes, "bytes per copy buffer")
      ->transform([](const std::string& s) { return std::to_string(std::stoull(s) << 20); });
  app.add_option("--fma-iterations", opts->fma_iterations, "FMA loop length per thread");
  app.add_option("--json", *json_path, "write results as JSON");
  return [=] {
    Context ctx(dev->options());
    const auto& a = ctx.adapter();
    fmt::print("device: {} ({})\n", a.device, a.backend);
    if (!ctx.has_timestamps()) {
      fmt::print(stderr, "this device has no timestamp-query feature: cannot time kernels\n");
      return 1;
    }
    ProbeResult r = probe_device(ctx, *opts);
    fmt::print("copy bandwidth: {:9.1f} GB/s   ({:.1f} MiB read+written in {:.3f} ms, median of {})\n", r.copy_gbps,
               r.copy_bytes / (1 << 20), r.copy_ms, r.repeats);
    fmt::print("fp32 FMA rate:  {:9.1f} GFLOP/s ({:.3f} ms per run, median of {})\n", r.fma_gflops, r.fma_ms,
               r.repeats);
    if (!json_path->empty()) {
      nlohmann::json j = {{"device", a.device},          {"backend", a.backend},       {"copy_gbps", r.copy_gbps},
                          {"copy_ms", r.copy_ms},        {"copy_bytes", r.copy_bytes}, {"fma_gflops", r.fma_gflops},
                          {"fma_ms", r.fma_ms},          {"repeats", r.repeats}};
      std::ofstream(*json_path) << j.dump(2) << "\n";
    }
    return 0;
  };
}

}  // namespace webattn::cli
