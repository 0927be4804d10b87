#include "commands.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "gpu/subgroup_matrix.hpp"
#include "webattn/attention.hpp"
#include "webattn/errors.hpp"
#include "webattn/probe.hpp"

namespace webattn::cli {

const char* const kExitCodesHelp =
    "Exit codes: 0 everything asked ran (and passed); 1 check failed; 2 bad arguments (nothing ran);\n"
    "3 some requested points exceed this device's limits (reported \"not run\", the rest ran);\n"
    "4 the device can run none of what was asked (or nothing to check); 5 GPU/runtime error.";

CLI::Validator at_least(long long min, long long max) {
  return CLI::Validator(
      [min, max](std::string& s) -> std::string {
        long long v = 0;
        size_t used = 0;
        try {
          v = std::stoll(s, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != s.size()) return "must be a whole number, got '" + s + "'";
        if (v < min) return "must be at least " + std::to_string(min) + ", got " + s;
        if (v > max) return "must be at most " + std::to_string(max) + ", got " + s;
        return {};
      },
      "INT>=" + std::to_string(min));
}

CLI::Validator finite_in(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& s) -> std::string {
        double v = 0;
        size_t used = 0;
        try {
          v = std::stod(s, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != s.size() || !std::isfinite(v)) return "must be a finite number, got '" + s + "'";
        if (v < min || v > max) return "must be from " + CLI::detail::to_string(min) + " to " + CLI::detail::to_string(max) + ", got " + s;
        return {};
      },
      "FLOAT in [" + CLI::detail::to_string(min) + ", " + CLI::detail::to_string(max) + "]");
}

const CLI::Validator kMultipleOf4(
    [](std::string& s) -> std::string {
      return at_least(4)(s).empty() && std::stoll(s) % 4 == 0 ? std::string{}
                                                              : "must be a positive multiple of 4, got " + s;
    },
    "multiple of 4");

const CLI::Validator kAlgorithmName(
    [](std::string& s) -> std::string {
      try {
        algorithm_from_string(s);
        return {};
      } catch (const ShapeError& e) {
        return e.what();
      }
    },
    "ALGORITHM");

void check_writable(const std::string& path, const std::string& option, bool create_folders) {
  if (path.empty()) return;
  namespace fs = std::filesystem;
  const fs::path p(path);
  fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (create_folders)  // the nearest folder that exists is where the missing ones will be made
    while (!fs::exists(dir, ec) && dir.has_relative_path() && dir != dir.parent_path()) dir = dir.parent_path();
  if (!fs::is_directory(dir, ec))
    throw BadArgument(option + " " + path + ": " +
                      (fs::exists(dir, ec) ? dir.string() + " is not a folder"
                                           : "folder " + dir.string() + " does not exist"));
  if (fs::exists(p, ec)) {
    if (fs::is_directory(p, ec)) throw BadArgument(option + " " + path + ": is a folder, not a file");
    if (access(path.c_str(), W_OK) != 0) throw BadArgument(option + " " + path + ": the file is not writable");
  } else if (access(dir.c_str(), W_OK) != 0) {
    throw BadArgument(option + " " + path + ": folder " + dir.string() + " is not writable");
  }
}

void write_file(const std::string& path, const std::string& text, const std::string& option) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) throw Error("could not write " + option + " file " + path);
}

void DeviceArgs::add(CLI::App& app) {
  app.add_option("--adapter", adapter, "adapter index (see `webattn devices`) or a substring of its name");
}

ContextOptions DeviceArgs::options() const {
  ContextOptions o;
  o.adapter = adapter;
  return o;
}

Context DeviceArgs::open() const {
  if (!adapter.empty()) {
    const auto all = Context::list_adapters();
    const auto lower = [](std::string s) {
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    const bool index = std::all_of(adapter.begin(), adapter.end(), [](unsigned char c) { return std::isdigit(c); });
    const bool found = std::any_of(all.begin(), all.end(), [&](const AdapterSummary& a) {
      return index ? adapter.size() < 10 && std::stoi(adapter) == a.index
                   : lower(a.device).find(lower(adapter)) != std::string::npos;
    });
    if (!found) {
      std::string names;
      for (const auto& a : all) names += (names.empty() ? "" : ", ") + std::to_string(a.index) + ": " + a.device;
      throw BadArgument("--adapter '" + adapter + "' matches no adapter; there are: " +
                        (names.empty() ? std::string("none") : names));
    }
  }
  return Context(options());
}

void print_ceilings(const ProbeResult& r) {
  fmt::print("  copy bandwidth      {:10.1f} GB/s    (read + written; {})\n", r.copy_gbps, r.copy.describe());
  fmt::print("  read-only bandwidth {:10.1f} GB/s    ({})\n", r.read_gbps, r.read.describe());
  fmt::print("  fp32 FMA rate       {:10.1f} GFLOP/s ({})\n", r.fma_gflops, r.fma.describe());
}

ProbeResult ceilings_for(Context& ctx, bool reprobe) {
  const std::string path = ceilings_path();
  std::optional<ProbeResult> saved;
  if (!reprobe) saved = load_ceilings(path, ctx.adapter());
  if (saved) {
    fmt::print("ceilings (floors): saved in {}, measured {} ({} MiB buffers; `--reprobe` measures again):\n", path,
               saved->measured_at, saved->buffer_bytes >> 20);
    print_ceilings(*saved);
    return *saved;
  }
  fmt::print(stderr, "{}: measuring the device ceilings (webattn probe) ...\n",
             reprobe ? "--reprobe" : "no ceilings saved for this adapter");
  ProbeResult r = probe_device(ctx);
  std::string saved_to = "saved to " + path;
  try {
    save_ceilings(path, ctx.adapter(), r);
  } catch (const std::exception& e) {  // the figures still serve this run
    saved_to = std::string("NOT saved: ") + e.what();
  }
  fmt::print("ceilings (floors): measured now, {} ({:.1f} s, {} MiB buffers), {}:\n", r.measured_at, r.seconds,
             r.buffer_bytes >> 20, saved_to);
  print_ceilings(r);
  return r;
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

// `devices --unsafe-features`: every adapter again, requested with Dawn's "allow_unsafe_apis"
// (and, for Vulkan, "use_vulkan_memory_model") toggles: all the features it then reports (raw
// values), chromium-experimental-subgroup-matrix and its configurations, and where it is there,
// one subgroup-matrix multiply per reported configuration checked against the CPU. Only reported
// configurations are ever compiled (Tint aborted the process on an unreported i8 kernel on the
// H200); one that needs shader-f16 on a device without it is printed "not runnable" and not run.
// Returns the exit code: 0, or 1 if a configuration computed a wrong product, 5 if one that
// could run failed to.
int print_unsafe_features(nlohmann::json& all) {
  namespace sgm = gpu::sgm;
  int rc = kExitOk;
  fmt::print("\nwith the toggles {} and {} on the adapter request:\n", sgm::kUnsafeToggles[0], sgm::kUnsafeToggles[1]);
  const auto adapters = sgm::list_unsafe_adapters();
  for (const auto& a : adapters) {
    fmt::print("[{}] {} ({}, {})\n", a.index, a.device, a.backend, a.adapter_type);
    nlohmann::json j = {{"features", nlohmann::json::array()}, {"subgroup_matrix", a.subgroup_matrix}};
    fmt::print("    features ({}):", a.features.size());
    for (size_t i = 0; i < a.features.size(); ++i) {
      const char* name = sgm::feature_name(a.features[i]);
      fmt::print("{}0x{:X} {}", i % 4 ? ", " : "\n      ", a.features[i], *name ? name : "(unknown)");
      j["features"].push_back({{"value", a.features[i]}, {"name", name}});
    }
    fmt::print("\n    reported only with the toggles:");
    for (uint32_t f : a.toggle_only) fmt::print(" 0x{:X} {}", f, sgm::feature_name(f));
    fmt::print("{}\n", a.toggle_only.empty() ? " none" : "");
    j["toggle_only"] = a.toggle_only;
    fmt::print("    chromium-experimental-subgroup-matrix (0x{:X}): {}\n",
               static_cast<uint32_t>(WGPUFeatureName_ChromiumExperimentalSubgroupMatrix),
               a.subgroup_matrix ? "present" : "absent");
    if (!a.subgroup_matrix) {
      // Dawn names the feature it refuses: a check of the enum value without the feature.
      std::string refused;
      try {
        refused = sgm::refusal_message(a.index);
      } catch (const std::exception& e) {
        refused = std::string("(the request threw: ") + e.what() + ")";
      }
      while (!refused.empty() && (refused.back() == '\n' || refused.back() == ' ')) refused.pop_back();
      for (size_t p = refused.find('\n'); p != std::string::npos; p = refused.find('\n', p + 1))
        refused.insert(p + 1, "      ");  // Dawn appends its source location on a second line
      fmt::print("    requesting a device with it anyway: {}\n",
                 refused.empty() ? "granted (unexpected)" : "refused: " + refused);
      j["refusal"] = refused;
      all.at(static_cast<size_t>(a.index))["unsafe_features"] = j;
      continue;
    }
    if (!a.configs_error.empty()) fmt::print("    configs: {}\n", a.configs_error);
    fmt::print("    subgroup-matrix configs ({}):\n", a.configs.size());
    j["configs"] = nlohmann::json::array();
    for (const auto& c : a.configs) {
      fmt::print("      {}  (raw component {}, result {})\n", c.describe(), c.component, c.result);
      j["configs"].push_back({{"component", sgm::component_name(c.component)},
                              {"result", sgm::component_name(c.result)},
                              {"M", c.m}, {"N", c.n}, {"K", c.k}});
    }
    // The configurations to multiply: every reported one (8-bit inputs with both readings of the
    // packed stride), nothing else. A kernel for an unreported configuration is never built:
    // Tint may abort the whole process on it (i8 on the H200: SIGILL in its SPIR-V writer).
    struct Run {
      sgm::MatrixConfig config;
      sgm::StrideUnit unit;
    };
    std::vector<Run> runs;
    for (const auto& c : a.configs) {
      runs.push_back({c, sgm::StrideUnit::ArrayElements});
      if (c.component == WGPUSubgroupMatrixComponentType_U8 || c.component == WGPUSubgroupMatrixComponentType_I8)
        runs.push_back({c, sgm::StrideUnit::Components});
    }
    if (!sgm::reports_int8_config(a)) {
      fmt::print("    {}\n", sgm::kInt8NotOffered);
      j["int8"] = sgm::kInt8NotOffered;
    }
    std::fflush(stdout);
    j["matmul"] = nlohmann::json::array();
    for (const auto& run : runs) {
      const std::string unit = run.unit == sgm::StrideUnit::ArrayElements ? "stride in array elements"
                                                                          : "stride in components";
      const std::string what = run.config.describe() + ", " + unit;
      nlohmann::json m = {{"config", run.config.describe()}, {"stride", unit}};
      const std::string why = sgm::not_runnable_reason(a, run.config);
      if (!why.empty()) {  // not a failure: the configuration cannot be expressed on this device
        fmt::print("    matmul {}: not runnable: {}\n", what, why);
        m["not_runnable"] = why;
        j["matmul"].push_back(m);
        continue;
      }
      try {
        const auto r = sgm::run_matmul(a.index, run.config, run.unit);
        fmt::print("    matmul {}: {}, max abs diff {:g}{}\n", what, r.pass ? "pass" : "FAIL", r.max_abs_diff,
                   r.pass ? "" : fmt::format(" ({} of {} entries wrong)", r.mismatches, run.config.m * run.config.n));
        m["pass"] = r.pass;
        m["max_abs_diff"] = r.max_abs_diff;
        if (!r.pass && rc == kExitOk) rc = kExitCheckFailed;
      } catch (const std::exception& e) {
        fmt::print("    matmul {}: ERROR: {}\n", what, e.what());
        m["error"] = e.what();
        rc = kExitRuntime;
      }
      std::fflush(stdout);
      j["matmul"].push_back(m);
    }
    all.at(static_cast<size_t>(a.index))["unsafe_features"] = j;
  }
  return rc;
}

}  // namespace

Runner add_devices(CLI::App& app) {
  auto json_path = std::make_shared<std::string>();
  auto unsafe = std::make_shared<bool>(false);
  app.add_option("--json", *json_path, "also write the list as JSON to this file");
  app.add_flag("--unsafe-features", *unsafe,
               "also request each adapter with Dawn's allow_unsafe_apis toggle: list every feature it reports "
               "(raw value and name), chromium-experimental-subgroup-matrix and its configurations, and where "
               "present run one subgroup-matrix multiply per configuration against the CPU");
  return [json_path, unsafe]() -> int {
    check_writable(*json_path, "--json");
    auto adapters = Context::list_adapters();
    if (adapters.empty()) {
      fmt::print(stderr, "no WebGPU adapter found (Dawn needs a Vulkan driver; run scripts/setup.sh)\n");
      return kExitNothingRan;
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
    const int rc = *unsafe ? print_unsafe_features(all) : kExitOk;
    if (!json_path->empty()) write_file(*json_path, all.dump(2) + "\n", "--json");
    return rc;
  };
}

Runner add_probe(CLI::App& app) {
  struct ProbeArgs {
    DeviceArgs device;
    ProbeOptions options;
    uint32_t copy_mib = 0, fma_iterations = 0;
    std::string json;
    bool no_save = false;
  };
  auto a = std::make_shared<ProbeArgs>();
  a->device.add(app);
  app.add_option("--repeats", a->options.repeats, "timed runs per kernel form (median reported)")
      ->check(at_least(1, 100000));
  app.add_option("--copy-mib", a->copy_mib,
                 "MiB per bandwidth buffer (default: sized from a first measurement, 64..256 MiB)")
      ->check(at_least(1, 1 << 20));
  app.add_option("--fma-iterations", a->fma_iterations,
                 "FMA loop iterations per thread (default: sized from a first measurement, ~2 ms runs)")
      ->check(at_least(1, 1000000000));
  app.add_flag("--quick", a->options.reference_only,
               "only the reference form of each ceiling (vec4 copy/read one per thread; 8 scalar fma chains)");
  app.add_flag("--no-save", a->no_save, "do not save the ceilings for bench/tune (see ceilings file below)");
  app.add_option("--json", a->json, "write the result, every form tried included, as JSON");
  app.footer(std::string("Saves the ceilings to $WEBATTN_CEILINGS_FILE, else ceilings.json beside the tuning file,\n"
                         "keyed by adapter; bench and tune reuse them.\n") + kExitCodesHelp);
  return [a] {
    check_writable(a->json, "--json");
    if (!a->no_save) check_writable(ceilings_path(), "ceilings file", true);
    Context ctx = a->device.open();
    const auto& ad = ctx.adapter();
    fmt::print("device: {} ({})\n", ad.device, ad.backend);
    if (!ctx.has_timestamps()) {
      fmt::print(stderr, "webattn: error: this device has no timestamp-query feature: cannot time kernels\n");
      return kExitNothingRan;
    }
    const uint64_t device_max = std::min(ad.limits.max_storage_buffer_binding_size, ad.limits.max_buffer_size);
    a->options.copy_bytes = uint64_t{a->copy_mib} << 20;
    if (a->options.copy_bytes > device_max)
      throw BadArgument("--copy-mib " + std::to_string(a->copy_mib) + " is over this device's " +
                        (device_max == ad.limits.max_buffer_size ? "maxBufferSize" : "maxStorageBufferBindingSize") +
                        " (" + std::to_string(device_max >> 20) + " MiB)");
    a->options.fma_iterations = a->fma_iterations;
    a->options.on_form = [](const ProbeForm& f) {
      fmt::print("  {:<5} {:10.1f} {:<7} {:9.3f} ms (median of {:>2})  {}\n", to_string(f.kind), f.rate,
                 f.kind == CeilingKind::Fma ? "GFLOP/s" : "GB/s", f.ms, f.runs, f.describe());
    };
    fmt::print("forms tried (copy counts bytes read + written; fewer than {} timed runs where one run takes over "
               "20 ms):\n", a->options.repeats);
    const ProbeResult r = probe_device(ctx, a->options);
    fmt::print("best of {} forms in {:.1f} s ({} MiB buffers):\n", r.tried.size(), r.seconds,
               r.buffer_bytes >> 20);
    print_ceilings(r);
    if (a->copy_mib && a->copy_mib < 64)
      fmt::print("note: --copy-mib {} buffers measure caches and launch overheads more than memory; bench's "
                 "%-of-floor from these figures would be off{}\n", a->copy_mib,
                 a->no_save ? "" : " (they are saved: run `webattn probe` without --copy-mib to replace them)");
    if (!a->no_save) {
      save_ceilings(ceilings_path(), ad, r);
      fmt::print("saved to {} (bench and tune use these; `webattn probe` again to re-measure)\n", ceilings_path());
    }
    if (!a->json.empty()) {
      auto j = nlohmann::json::parse(to_json(r));
      j["device"] = ad.device;
      j["backend"] = ad.backend;
      j["driver"] = ad.description;
      write_file(a->json, j.dump(1) + "\n", "--json");
    }
    return kExitOk;
  };
}

}  // namespace webattn::cli
