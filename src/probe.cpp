#include "webattn/probe.hpp"

#include "internal.hpp"

#include <algorithm>
#include <vector>

#include "gpu/recorder.hpp"

namespace webattn {

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

struct CopyParams {
  uint32_t n4;
  uint32_t row_threads;
};
static_assert(sizeof(CopyParams) == 8);

struct FmaParams {
  uint32_t iterations;
  float seed;
};
static_assert(sizeof(FmaParams) == 8);

}  // namespace

ProbeResult probe_device(Context& ctx, const ProbeOptions& options) {
  auto& dev = gpu_device(ctx);
  ProbeResult r;
  r.repeats = options.repeats;
  r.timed = dev.has_timestamps();
  const uint32_t wg = 256;

  // ---- bandwidth: copy a large buffer, count read + write ----
  uint64_t bytes = std::min<uint64_t>(options.copy_bytes, dev.limits().max_storage_buffer_binding_size);
  bytes = std::min<uint64_t>(bytes, dev.limits().max_buffer_size) & ~uint64_t{15};
  gpu::Buffer src(dev, bytes, "probe src"), dst(dev, bytes, "probe dst");
  {
    std::vector<float> init(bytes / 4);
    for (size_t i = 0; i < init.size(); ++i) init[i] = static_cast<float>(i % 1000) * 0.5f;
    src.upload(init);
  }
  const uint32_t n4 = static_cast<uint32_t>(bytes / 16);
  const uint32_t groups = (n4 + wg - 1) / wg;
  const uint32_t max_dim = dev.limits().max_compute_workgroups_per_dimension;
  gpu::Grid grid{std::min(groups, max_dim), (groups + max_dim - 1) / max_dim, 1};
  CopyParams cp{n4, grid.x * wg};
  const auto& copy = dev.pipelines().get({"copy_vec4", {}, "", {{"WG", wg}}});
  std::vector<double> times;
  for (int i = 0; i < options.warmup + options.repeats; ++i) {
    gpu::Recorder rec(dev, true);
    rec.dispatch("copy_vec4", copy, cp, {{1, &src}, {2, &dst}}, grid);
    rec.submit();
    auto t = rec.timings();
    if (i >= options.warmup && !t.empty()) times.push_back(t[0].ms);
  }
  r.copy_bytes = 2.0 * static_cast<double>(bytes);
  r.copy_ms = median(times);
  if (r.copy_ms > 0) r.copy_gbps = r.copy_bytes / (r.copy_ms * 1e-3) / 1e9;

  // ---- FMA rate ----
  const uint32_t fgroups = options.fma_workgroups;
  gpu::Buffer sink(dev, uint64_t{fgroups} * wg * 16, "probe sink");
  const auto& fma = dev.pipelines().get({"fma_throughput", {}, "", {{"WG", wg}}});
  gpu::Grid fgrid{std::min(fgroups, max_dim), (fgroups + max_dim - 1) / max_dim, 1};
  times.clear();
  for (int i = 0; i < options.warmup + options.repeats; ++i) {
    gpu::Recorder rec(dev, true);
    rec.dispatch("fma_throughput", fma, FmaParams{options.fma_iterations, 0.5f}, {{1, &sink}}, fgrid);
    rec.submit();
    auto t = rec.timings();
    if (i >= options.warmup && !t.empty()) times.push_back(t[0].ms);
  }
  r.fma_ms = median(times);
  const double flops = 2.0 * 4 * 8 * static_cast<double>(options.fma_iterations) * fgrid.x * fgrid.y * wg;
  if (r.fma_ms > 0) r.fma_gflops = flops / (r.fma_ms * 1e-3) / 1e9;
  return r;
}

}  // namespace webattn
