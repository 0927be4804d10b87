// Shared by `bench` and `tune`: one benchmark problem on the GPU and its timing.
#pragma once
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "webattn/attention.hpp"
#include "webattn/probe.hpp"

namespace webattn::cli {

// Cheap deterministic non-zero fill (large caches: no need for Gaussian draws).
inline std::vector<float> pseudo_random(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& f : v) {
    x = x * 1664525u + 1013904223u;
    f = static_cast<float>(x >> 8) / static_cast<float>(1u << 24) * 2.f - 1.f;
  }
  return v;
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// A filled cache of `context` positions and the tensors of one call of S new tokens.
// The cache is filled in pieces of at most 32 MiB of fp32 rows, so filling a large cache
// needs no host or device buffer of its own size.
struct BenchInputs {
  KVCache cache;
  Tensor q, k_new, v_new, out;
  uint32_t S, input_pos;
  BenchInputs(Context& ctx, uint32_t context, uint32_t S, uint32_t Hq, uint32_t Hkv, uint32_t D, DType dtype)
      : cache(ctx, {context, Hkv, D, dtype}),
        q(Tensor::from(ctx, {S, Hq, D}, pseudo_random(size_t{S} * Hq * D, 3), "q")),
        k_new(Tensor::from(ctx, {S, Hkv, D}, pseudo_random(size_t{S} * Hkv * D, 4), "k_new")),
        v_new(Tensor::from(ctx, {S, Hkv, D}, pseudo_random(size_t{S} * Hkv * D, 5), "v_new")),
        out(ctx, {S, Hq, D}, "out"),
        S(S),
        input_pos(context - S) {
    const uint32_t rows = std::max<uint32_t>(1, (32u << 20) / (Hkv * D * 4));
    for (uint32_t p = 0; p < context; p += rows) {
      const uint32_t n = std::min(rows, context - p);
      const auto count = size_t{n} * Hkv * D;
      cache.update(Tensor::from(ctx, {n, Hkv, D}, pseudo_random(count, 1 + 2 * p)),
                   Tensor::from(ctx, {n, Hkv, D}, pseudo_random(count, 2 + 2 * p)), p);
    }
  }
};

// The least time a call can take on this device: its FLOPs at the FMA ceiling or its
// bytes at the read-only bandwidth ceiling (a call mostly reads), whichever is longer.
struct Floor {
  double ms = 0;
  const char* ceiling = "";  // "fma" or "read"
};
inline Floor floor_of(const ProbeResult& c, double flops, double bytes) {
  const double compute = flops / (c.fma_gflops * 1e6), memory = bytes / (c.read_gbps * 1e6);
  return compute > memory ? Floor{compute, "fma"} : Floor{memory, "read"};
}

struct Timing {
  double per_call_ms = 0;                    // median over submissions of (span / batch)
  std::map<std::string, double> stage_ms;    // median per pass label, pass-by-pass timestamps
  std::vector<std::string> stage_order;
};

// `batch` calls back to back per submission; a submission timed only at its ends gives
// the per-call time, and (if stages) one timed pass by pass gives the stage split.
inline Timing time_calls(Sdpa& sdpa, BenchInputs& pb, SdpaOptions opt, int warmup, int repeats, int batch,
                         bool stages) {
  opt.profile = true;
  opt.repeat = batch;
  SdpaOptions span = opt;
  span.profile_span_only = true;
  std::vector<double> totals;
  std::map<std::string, std::vector<double>> runs;
  Timing t;
  for (int i = 0; i < warmup + repeats; ++i) {
    auto s = sdpa.forward(pb.q, pb.k_new, pb.v_new, pb.cache, pb.input_pos, pb.out, span);
    ForwardInfo info;
    if (stages) info = sdpa.forward(pb.q, pb.k_new, pb.v_new, pb.cache, pb.input_pos, pb.out, opt);
    if (i < warmup) continue;
    totals.push_back(s.span_ms() / batch);
    for (const auto& st : info.stages) {
      if (!runs.count(st.stage)) t.stage_order.push_back(st.stage);
      runs[st.stage].push_back(st.ms);
    }
  }
  t.per_call_ms = median(totals);
  for (auto& [name, v] : runs) t.stage_ms[name] = median(v);
  return t;
}

}  // namespace webattn::cli
