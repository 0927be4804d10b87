// Device ceilings measured through WebGPU: the floors that benchmarks compare with.
#pragma once
#include "webattn/context.hpp"

namespace webattn {

struct ProbeResult {
  double copy_gbps = 0;      // device-memory copy, bytes read + written per second / 1e9
  double copy_bytes = 0;     // bytes moved per copy run
  double copy_ms = 0;        // median GPU time of one copy
  double fma_gflops = 0;     // fp32 FMA rate, 2 FLOPs per FMA, / 1e9
  double fma_ms = 0;         // median GPU time of one FMA run
  int repeats = 0;
  bool timed = false;        // false when the device has no timestamp-query
};

struct ProbeOptions {
  uint64_t copy_bytes = 256ull << 20;  // per buffer; clamped to the device's limits
  uint32_t fma_iterations = 4096;
  uint32_t fma_workgroups = 4096;
  int repeats = 20;
  int warmup = 3;
};

ProbeResult probe_device(Context& ctx, const ProbeOptions& options = {});

}  // namespace webattn
