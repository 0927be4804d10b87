// Device ceilings: each the best of several kernel forms, found by varying one property
// of the form at a time (vector width, items per thread, grid-stride vs one step,
// workgroup size; for fma: width, chains, unroll, grid) from a reference form and keeping
// the best. Work per run is sized from a short first measurement, so a slow adapter
// (lavapipe) finishes in seconds while a GPU still gets 256 MiB buffers.
#include "webattn/probe.hpp"

#include "internal.hpp"
#include "json_file.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "attention/launch.hpp"
#include "gpu/recorder.hpp"
#include "webattn/attention.hpp"
#include "webattn/errors.hpp"

namespace webattn {

const char* to_string(CeilingKind k) {
  switch (k) {
    case CeilingKind::Copy: return "copy";
    case CeilingKind::Read: return "read";
    case CeilingKind::Fma: return "fma";
  }
  return "?";
}

std::string ProbeForm::describe() const {
  const std::string type = width == 1 ? "scalar" : "vec" + std::to_string(width);
  const std::string wg = "WG " + std::to_string(workgroup_size);
  if (kind == CeilingKind::Fma)
    return type + ", " + std::to_string(chains) + " chains, unroll x" + std::to_string(unroll) + ", " +
           std::to_string(workgroups) + " workgroups of " + std::to_string(workgroup_size) + ", " +
           std::to_string(iterations) + " iterations";
  return type + ", " + std::to_string(items) + " per thread, " +
         (workgroups ? "grid-stride over " + std::to_string(workgroups) + " workgroups" : std::string("one step")) +
         ", " + wg;
}

namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kMaxAutoBytes = 256 * kMiB;  // the reference: 256 MiB into 256 MiB
constexpr uint64_t kMinAutoBytes = 64 * kMiB;   // never measure mostly-cache on a slow device
constexpr double kBandwidthRunMs = 10, kFmaRunMs = 2;
constexpr int kBandwidthBatch = 4;  // dispatches per timed bandwidth run (see Prober::time_ms)
// A run does at least the work of the reference fma form at this many iterations (fewer
// let per-thread start-up costs dominate: on lavapipe 1-iteration forms measured 3x below
// 8-iteration ones). Every form does about the same work per run.
constexpr uint32_t kMinFmaIterations = 16;

struct BandwidthParams {
  uint32_t n, row_threads, threads;
  float never;
};
static_assert(sizeof(BandwidthParams) == 16);

struct FmaParams {
  uint32_t iterations;
  float seed;
  uint32_t row_threads;
  float never;
};
static_assert(sizeof(FmaParams) == 16);

const char* wgsl_type(uint32_t width) {
  return width == 1 ? "f32" : width == 2 ? "vec2<f32>" : "vec4<f32>";
}

bool same_form(const ProbeForm& a, const ProbeForm& b) {
  return a.kind == b.kind && a.width == b.width && a.workgroup_size == b.workgroup_size &&
         a.workgroups == b.workgroups && (a.kind == CeilingKind::Fma ? a.chains == b.chains && a.unroll == b.unroll
                                                                     : a.items == b.items);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class Prober {
 public:
  Prober(Context& ctx, const ProbeOptions& o) : dev_(gpu_device(ctx)), o_(o), sink_(dev_, 16, "probe sink") {}

  // Median GPU time of one dispatch (warm-up runs first), one submission per run. batch > 1:
  // that many dispatches back to back in the submission, timed from a mark before the first to
  // one after the last, divided by batch: a kernel's ramp-up and tail, which a lone dispatch
  // counts whole, overlap as in a workload's steady state (H200: decode read its K and V 3%
  // faster than a lone 256 MiB read dispatch; bench/RESULTS.md, session 9).
  template <class P>
  double time_ms(const std::string& label, const gpu::ComputePipeline& pipe, const P& params,
                 const std::vector<gpu::Binding>& bindings, gpu::Grid grid, int repeats, int batch = 1) {
    std::vector<double> times;
    for (int i = 0; i < o_.warmup + repeats; ++i) {
      gpu::Recorder rec(dev_, true, batch > 1);
      if (batch > 1) rec.mark("begin");
      for (int b = 0; b < batch; ++b) rec.dispatch(label, pipe, params, bindings, grid);
      if (batch > 1) rec.mark("end");
      rec.submit();
      const auto t = rec.timings();
      if (i >= o_.warmup && !t.empty())
        times.push_back(batch > 1 ? (t.back().start_ms - t.front().start_ms) / batch : t[0].ms);
    }
    last_runs_ = static_cast<int>(times.size());
    return median(times);
  }

  const gpu::ComputePipeline& pipeline(const ProbeForm& f) {
    if (f.kind == CeilingKind::Fma)
      return dev_.pipelines().get({"fma_throughput", {},
                                   std::string("alias V = ") + wgsl_type(f.width) + ";\nconst CHAINS: u32 = " +
                                       std::to_string(f.chains) + "u;\nconst UNROLL: u32 = " +
                                       std::to_string(f.unroll) + "u;\n",
                                   {{"WG", f.workgroup_size}}});
    return dev_.pipelines().get({f.kind == CeilingKind::Copy ? "bandwidth_copy" : "bandwidth_read",
                                 {"bandwidth_params"},
                                 std::string("alias E = ") + wgsl_type(f.width) + ";\nconst ITEMS: u32 = " +
                                     std::to_string(f.items) + "u;\n",
                                 {{"WG", f.workgroup_size}, {"GRID_STRIDE", f.workgroups ? 1.0 : 0.0}}});
  }

  // Dispatches one bandwidth form over the first `bytes` of src (and dst for a copy).
  template <class Run>
  void bandwidth(const ProbeForm& f, const gpu::Buffer& src, const gpu::Buffer& dst, uint64_t bytes, Run&& run) {
    const uint64_t n = bytes / (4 * f.width);
    uint32_t row_threads = 0;
    const uint64_t threads = f.workgroups ? uint64_t{f.workgroups} * f.workgroup_size : (n + f.items - 1) / f.items;
    const gpu::Grid grid = attention::flat_grid(dev_.limits(), threads, f.workgroup_size, &row_threads);
    const BandwidthParams prm{static_cast<uint32_t>(n), row_threads, grid.x * grid.y * f.workgroup_size, -1.f};
    const bool copy = f.kind == CeilingKind::Copy;
    run(pipeline(f), prm, std::vector<gpu::Binding>{{1, &src, 0, bytes}, copy ? gpu::Binding{2, &dst, 0, bytes}
                                                                              : gpu::Binding{2, &sink_}},
        grid);
  }

  ProbeForm measure_bandwidth(ProbeForm f, const gpu::Buffer& src, const gpu::Buffer& dst, uint64_t bytes,
                              int repeats) {
    bandwidth(f, src, dst, bytes, [&](const gpu::ComputePipeline& pipe, const BandwidthParams& prm,
                                      const std::vector<gpu::Binding>& b, gpu::Grid grid) {
      f.ms = time_ms(to_string(f.kind), pipe, prm, b, grid, repeats, kBandwidthBatch);
    });
    f.runs = last_runs_;
    const double moved = static_cast<double>(bytes / (4 * f.width) * 4 * f.width);
    f.work = f.kind == CeilingKind::Copy ? 2 * moved : moved;
    f.rate = f.ms > 0 ? f.work / f.ms / 1e6 : 0;
    return f;
  }

  ProbeForm measure_fma(ProbeForm f, int repeats) {
    uint32_t row_threads = 0;
    const gpu::Grid grid =
        attention::flat_grid(dev_.limits(), uint64_t{f.workgroups} * f.workgroup_size, f.workgroup_size, &row_threads);
    const double threads = double(grid.x) * grid.y * f.workgroup_size;
    f.ms = time_ms("fma", pipeline(f), FmaParams{f.iterations, 0.5f, row_threads, -1.f}, {{1, &sink_}}, grid,
                   repeats);
    f.runs = last_runs_;
    f.work = 2.0 * f.width * f.chains * f.unroll * f.iterations * threads;
    f.rate = f.ms > 0 ? f.work / f.ms / 1e6 : 0;
    return f;
  }

  // From the best of the reference forms, each axis in turn: try its values on the best
  // form so far, keep the best. `measure` times one form; no form is run twice.
  template <class Measure>
  ProbeForm search(const std::vector<ProbeForm>& references,
                   const std::vector<std::pair<ProbeForm (*)(ProbeForm, uint32_t), std::vector<uint32_t>>>& axes,
                   Measure&& measure, std::vector<ProbeForm>& tried) {
    ProbeForm best = record(measure(references[0]), tried);
    if (o_.reference_only) return best;
    for (size_t i = 1; i < references.size(); ++i) {
      const ProbeForm m = record(measure(references[i]), tried);
      if (m.rate > best.rate) best = m;
    }
    for (const auto& [vary, values] : axes)
      for (uint32_t v : values) {
        const ProbeForm f = vary(best, v);
        if (f.workgroup_size > max_workgroup_size()) continue;
        if (std::any_of(tried.begin(), tried.end(), [&](const ProbeForm& t) { return same_form(t, f); })) continue;
        const ProbeForm m = record(measure(f), tried);
        if (m.rate > best.rate) best = m;
      }
    return best;
  }

  uint32_t max_workgroup_size() const {
    return std::min(dev_.limits().max_compute_invocations_per_workgroup, dev_.limits().max_compute_workgroup_size_x);
  }

  ProbeForm record(const ProbeForm& f, std::vector<ProbeForm>& tried) {
    tried.push_back(f);
    if (o_.on_form) o_.on_form(f);
    return f;
  }

  // Fewer runs where one run is long (slow adapters), never fewer than 3.
  int repeats_for(double run_ms) const {
    if (run_ms <= 20) return o_.repeats;
    return std::clamp(static_cast<int>(200 / run_ms), std::min(3, o_.repeats), o_.repeats);
  }

  gpu::Device& dev_;
  const ProbeOptions& o_;
  gpu::Buffer sink_;
  int last_runs_ = 0;  // timed runs of the last time_ms()
};

// Non-negative values, so the read and fma kernels' guard value -1 never occurs.
std::vector<float> fill(gpu::Buffer& b) {
  std::vector<float> init(b.size() / 4);
  for (size_t i = 0; i < init.size(); ++i) init[i] = static_cast<float>(i % 1000) * 0.5f;
  b.upload(init);
  return init;
}

}  // namespace

ProbeResult probe_device(Context& ctx, const ProbeOptions& options) {
  auto& dev = gpu_device(ctx);
  if (!dev.has_timestamps()) throw UnsupportedError("this device has no timestamp-query feature: cannot time kernels");
  if (options.repeats < 1) throw ShapeError("probe repeats must be at least 1, got " + std::to_string(options.repeats));
  if (options.warmup < 0) throw ShapeError("probe warmup must be at least 0, got " + std::to_string(options.warmup));
  const auto& lim = dev.limits();
  const uint64_t device_max = std::min(lim.max_storage_buffer_binding_size, lim.max_buffer_size) / 16 * 16;
  if (options.copy_bytes && (options.copy_bytes < 16 || options.copy_bytes > device_max))
    throw ShapeError("probe buffer size " + std::to_string(options.copy_bytes) + " bytes is outside 16 .. " +
                     std::to_string(device_max) + " (this device's maxStorageBufferBindingSize / maxBufferSize)");
  const auto t0 = std::chrono::steady_clock::now();
  Prober pr(ctx, options);
  ProbeResult r;
  r.repeats = options.repeats;
  r.measured_at = utc_now();

  // ---- bandwidth: size from a first copy of up to 16 MiB, then copy and read-only forms ----
  const ProbeForm ref_copy{};  // vec4, 1 per thread, one step, WG 256
  uint64_t bytes = options.copy_bytes / 16 * 16;
  if (!bytes) {
    const uint64_t most = std::min(kMaxAutoBytes, device_max);
    const uint64_t first = std::min<uint64_t>(16 * kMiB, most);
    gpu::Buffer a(dev, first, "probe sizing src"), b(dev, first, "probe sizing dst");
    fill(a);
    const double gbps = pr.measure_bandwidth(ref_copy, a, b, first, 2).rate;
    const double fit = gbps * 1e6 * kBandwidthRunMs / 2;  // bytes per buffer for a run of kBandwidthRunMs
    bytes = std::min(most, std::max<uint64_t>(std::min(kMinAutoBytes, most), static_cast<uint64_t>(fit) / kMiB * kMiB));
  }
  r.buffer_bytes = bytes;
  gpu::Buffer src(dev, bytes, "probe src"), dst(dev, bytes, "probe dst");
  const std::vector<float> init = fill(src);
  using Axis = std::pair<ProbeForm (*)(ProbeForm, uint32_t), std::vector<uint32_t>>;
  const std::vector<Axis> bandwidth_axes{
      {[](ProbeForm f, uint32_t v) { return f.width = v, f; }, {4, 2, 1}},
      {[](ProbeForm f, uint32_t v) { return f.items = v, f; }, {1, 2, 4, 8}},
      {[](ProbeForm f, uint32_t v) { return f.workgroups = v, f; }, {0, 1024, 4096}},
      {[](ProbeForm f, uint32_t v) { return f.workgroup_size = v, f; }, {256, 64, 128, 512, 1024}},
  };
  int repeats = options.repeats;
  const auto bandwidth = [&](ProbeForm f) { return pr.measure_bandwidth(f, src, dst, bytes, repeats); };
  repeats = pr.repeats_for(pr.measure_bandwidth(ref_copy, src, dst, bytes, 1).ms);
  r.copy = pr.search({ref_copy}, bandwidth_axes, bandwidth, r.tried);
  ProbeForm ref_read = ref_copy;
  ref_read.kind = CeilingKind::Read;
  r.read = pr.search({ref_read}, bandwidth_axes, bandwidth, r.tried);
  r.copy_gbps = r.copy.rate;
  r.read_gbps = r.read.rate;
  // A form that skipped elements would look fast: check the winner copied everything.
  dst.fill_u32(0);
  pr.bandwidth(r.copy, src, dst, bytes, [&](const gpu::ComputePipeline& pipe, const BandwidthParams& prm,
                                           const std::vector<gpu::Binding>& b, gpu::Grid grid) {
    gpu::Recorder rec(dev, false);
    rec.dispatch("copy check", pipe, prm, b, grid);
    rec.submit();
  });
  const auto copied = dst.download<float>(init.size());
  const auto bad = std::mismatch(init.begin(), init.end(), copied.begin());
  if (bad.first != init.end())
    throw GpuError("copy probe form '" + r.copy.describe() + "' wrote " + std::to_string(*bad.second) +
                   " at element " + std::to_string(bad.first - init.begin()) + ", expected " +
                   std::to_string(*bad.first));

  // ---- fma: size iterations from a first short run of the reference form ----
  ProbeForm ref_fma;  // 8 scalar chains, unroll x4, 8192 workgroups of 256
  ref_fma.kind = CeilingKind::Fma;
  ref_fma.width = 1;
  ref_fma.workgroups = 8192;
  double target_flops = 0;  // per run; 0: options.fma_iterations for every form
  if (!options.fma_iterations) {
    ref_fma.iterations = 4;  // a short run: only a rate estimate
    const ProbeForm first = pr.measure_fma(ref_fma, 2);
    target_flops = std::max(first.work * kMinFmaIterations / 4, first.rate * 1e6 * kFmaRunMs);
    repeats = pr.repeats_for(first.ms * target_flops / first.work);
  }
  const auto fma = [&](ProbeForm f) {
    const double per_iteration = 2.0 * f.width * f.chains * f.unroll * f.workgroups * f.workgroup_size;
    f.iterations = options.fma_iterations ? options.fma_iterations
                                          : static_cast<uint32_t>(std::clamp(std::round(target_flops / per_iteration),
                                                                             1.0, 1e9));
    return pr.measure_fma(f, repeats);
  };
  const std::vector<Axis> fma_axes{
      {[](ProbeForm f, uint32_t v) { return f.width = v, f; }, {1, 4, 2}},
      {[](ProbeForm f, uint32_t v) { return f.chains = v, f; }, {8, 4, 16}},
      {[](ProbeForm f, uint32_t v) { return f.unroll = v, f; }, {4, 1, 16}},
      {[](ProbeForm f, uint32_t v) { return f.workgroups = v, f; }, {8192, 2048, 32768}},
      // Same threads in workgroups of another size.
      {[](ProbeForm f, uint32_t v) { return f.workgroups = f.workgroups * f.workgroup_size / v, f.workgroup_size = v, f; },
       {256, 128, 512}},
  };
  // The H200 reference (8 scalar chains, unroll x4, "256 FLOP per iteration") read either
  // way: 4 or 16 chain steps per loop iteration.
  ProbeForm ref_fma16 = ref_fma;
  ref_fma16.unroll = 16;
  r.fma = pr.search({ref_fma, ref_fma16}, fma_axes, fma, r.tried);
  r.fma_gflops = r.fma.rate;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

CacheReadRate measure_cache_read(const KVCache& cache, const ProbeForm& form, int repeats) {
  auto& dev = gpu_device(cache.context());
  if (!dev.has_timestamps()) throw UnsupportedError("this device has no timestamp-query feature: cannot time kernels");
  if (form.kind != CeilingKind::Read)
    throw ShapeError(std::string("measure_cache_read needs a read form, got a ") + to_string(form.kind) + " form");
  if (repeats < 1) throw ShapeError("measure_cache_read: repeats must be at least 1, got " + std::to_string(repeats));
  ProbeOptions o;
  o.repeats = repeats;
  Prober pr(cache.context(), o);
  const uint64_t bytes = cache.bytes() / (4 * form.width) * (4 * form.width);
  CacheReadRate r;
  r.keys_gbps = pr.measure_bandwidth(form, gpu_keys(cache), gpu_keys(cache), bytes, repeats).rate;
  r.values_gbps = pr.measure_bandwidth(form, gpu_values(cache), gpu_values(cache), bytes, repeats).rate;
  return r;
}

// ---- saved ceilings ----

std::string ceilings_path() {
  if (const char* f = std::getenv("WEBATTN_CEILINGS_FILE"); f && *f) return f;
  const auto dir = std::filesystem::path(tuning_path()).parent_path();
  return (dir.empty() ? std::filesystem::path("ceilings.json") : dir / "ceilings.json").string();
}

namespace {

nlohmann::json form_json(const ProbeForm& f) {
  nlohmann::json j = {{"ceiling", to_string(f.kind)}, {"form", f.describe()},       {"width", f.width},
                      {"workgroup_size", f.workgroup_size}, {"workgroups", f.workgroups}, {"ms", f.ms},
                      {"runs", f.runs}, {"rate", f.rate}};
  if (f.kind == CeilingKind::Fma) {
    j["chains"] = f.chains;
    j["unroll"] = f.unroll;
    j["iterations"] = f.iterations;
    j["flops"] = f.work;
  } else {
    j["items"] = f.items;
    j["bytes"] = f.work;
  }
  return j;
}

ProbeForm form_from(const nlohmann::json& j) {
  ProbeForm f;
  const std::string k = j.at("ceiling");
  f.kind = k == "copy" ? CeilingKind::Copy : k == "read" ? CeilingKind::Read : CeilingKind::Fma;
  f.width = j.at("width");
  f.workgroup_size = j.at("workgroup_size");
  f.workgroups = j.at("workgroups");
  f.ms = j.at("ms");
  f.runs = j.at("runs");
  f.rate = j.at("rate");
  if (f.kind == CeilingKind::Fma) {
    f.chains = j.at("chains");
    f.unroll = j.at("unroll");
    f.iterations = j.at("iterations");
    f.work = j.at("flops");
  } else {
    f.items = j.at("items");
    f.work = j.at("bytes");
  }
  return f;
}

nlohmann::json result_json(const ProbeResult& r) {
  nlohmann::json tried = nlohmann::json::array();
  for (const auto& f : r.tried) tried.push_back(form_json(f));
  return {{"copy_gbps", r.copy_gbps}, {"read_gbps", r.read_gbps},       {"fma_gflops", r.fma_gflops},
          {"copy", form_json(r.copy)}, {"read", form_json(r.read)},     {"fma", form_json(r.fma)},
          {"buffer_bytes", r.buffer_bytes}, {"repeats", r.repeats},    {"seconds", r.seconds},
          {"measured_at", r.measured_at}, {"tried", tried}};
}

nlohmann::json read_all(const std::string& path) {
  return read_json_file(path, "ceilings file", "WEBATTN_CEILINGS_FILE");
}

}  // namespace

std::string to_json(const ProbeResult& result) { return result_json(result).dump(1); }

std::optional<ProbeResult> load_ceilings(const std::string& path, const AdapterSummary& adapter) {
  const auto all = read_all(path);
  const auto it = all.find(tuning_key(adapter));
  if (it == all.end()) return std::nullopt;
  try {
    ProbeResult r;
    r.copy_gbps = it->at("copy_gbps");
    r.read_gbps = it->at("read_gbps");
    r.fma_gflops = it->at("fma_gflops");
    r.copy = form_from(it->at("copy"));
    r.read = form_from(it->at("read"));
    r.fma = form_from(it->at("fma"));
    r.buffer_bytes = it->at("buffer_bytes");
    r.repeats = it->at("repeats");
    r.seconds = it->at("seconds");
    r.measured_at = it->at("measured_at");
    for (const auto& f : it->at("tried")) r.tried.push_back(form_from(f));
    if (!(r.copy_gbps > 0 && r.read_gbps > 0 && r.fma_gflops > 0))
      throw Error("a ceiling is not positive (copy " + std::to_string(r.copy_gbps) + ", read " +
                  std::to_string(r.read_gbps) + ", fma " + std::to_string(r.fma_gflops) + ")");
    return r;
  } catch (const std::exception& e) {
    throw ConfigError("ceilings file " + path + ", entry '" + tuning_key(adapter) + "': " + e.what() +
                      " (run `webattn probe` to measure again)");
  }
}

void save_ceilings(const std::string& path, const AdapterSummary& adapter, const ProbeResult& result) {
  auto all = read_all(path);
  all[tuning_key(adapter)] = result_json(result);
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  std::ofstream out(path);
  out << all.dump(1) << "\n";
  if (!out) throw Error("cannot write ceilings file " + path);
}

}  // namespace webattn
