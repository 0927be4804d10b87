// Shared by the attention tests: one random problem run on the GPU and on the
// float64 reference, with poisoned outputs and an exact check of the cache update.
#pragma once
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "attention/half.hpp"
#include "webattn/webattn.hpp"

namespace webattn::testing {

inline Context& shared_context() {
  static Context ctx;
  return ctx;
}

struct Case {
  uint32_t S, Hq, Hkv, D, input_pos, capacity;
  bool causal = true;
  float scale = 0;
  std::string str() const {
    return "S=" + std::to_string(S) + " Hq=" + std::to_string(Hq) + " Hkv=" + std::to_string(Hkv) +
           " D=" + std::to_string(D) + " pos=" + std::to_string(input_pos) + " cap=" + std::to_string(capacity) +
           (causal ? "" : " non-causal") + (scale > 0 ? " scale=" + std::to_string(scale) : "");
  }
};

struct Outcome {
  reference::Comparison cmp;
  bool cache_exact = true;     // every cache position equals what the update should leave
  Algorithm ran = Algorithm::Auto;
};

inline std::vector<float> randn(std::mt19937& rng, size_t n, float scale = 1.f) {
  std::normal_distribution<float> dist(0.f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

inline Outcome run_case(const Case& c, Algorithm algo, DType dtype, uint32_t seed) {
  Context& ctx = shared_context();
  std::mt19937 rng(seed);
  const size_t row = size_t{c.Hkv} * c.D;
  // Whole cache random (positions past the context too: they must stay untouched).
  std::vector<float> k_host = randn(rng, c.capacity * row), v_host = randn(rng, c.capacity * row);
  KVCache cache(ctx, {c.capacity, c.Hkv, c.D, dtype});
  cache.update(Tensor::from(ctx, {c.capacity, c.Hkv, c.D}, k_host), Tensor::from(ctx, {c.capacity, c.Hkv, c.D}, v_host),
               0);
  auto q = randn(rng, size_t{c.S} * c.Hq * c.D), kn = randn(rng, c.S * row), vn = randn(rng, c.S * row);
  Tensor tq = Tensor::from(ctx, {c.S, c.Hq, c.D}, q, "q");
  Tensor tk = Tensor::from(ctx, {c.S, c.Hkv, c.D}, kn, "k_new");
  Tensor tv = Tensor::from(ctx, {c.S, c.Hkv, c.D}, vn, "v_new");
  Tensor out(ctx, {c.S, c.Hq, c.D}, "out");
  out.poison();
  Sdpa sdpa(ctx);
  SdpaOptions opt;
  opt.algorithm = algo;
  opt.causal = c.causal;
  opt.scale = c.scale;
  Outcome res;
  res.ran = sdpa.forward(tq, tk, tv, cache, c.input_pos, out, opt).algorithm;

  reference::Problem p{c.S, c.Hq, c.Hkv, c.D, c.input_pos, c.causal, c.scale};
  reference::update_cache(k_host, v_host, kn, vn, p);
  if (dtype == DType::F16)
    for (auto* v : {&k_host, &v_host})
      for (auto& x : *v) x = half::round_to_half(x);
  res.cache_exact = cache.download_keys() == k_host && cache.download_values() == v_host;
  res.cmp = reference::compare(out.download(), reference::attention(q, k_host, v_host, p));
  return res;
}

}  // namespace webattn::testing
