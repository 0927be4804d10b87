// One attention call with inputs the test chooses (NaN/Inf, huge values) run through the
// public API and through the float64 reference, compared element by element. The hard-input
// suites (masking, extreme scores, edge shapes) share it.
#pragma once
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "attention/half.hpp"
#include "test_context.hpp"
#include "webattn/verify.hpp"
#include "webattn/webattn.hpp"

namespace webattn::testing {

// The non-finite values the hard-input suites plant.
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Every explicit algorithm and Auto: a fix must hold whichever one the planner picks.
inline std::vector<Algorithm> algorithms_and_auto() {
  auto all = all_algorithms();
  all.push_back(Algorithm::Auto);
  return all;
}

// The host side of one call: the whole cache before it, the new tokens and the queries.
// Layouts: caches [capacity, Hkv, D], k_new/v_new [S, Hkv, D], q [S, Hq, D], all fp32.
struct HostCall {
  reference::CallSpec p;  // S, Hq, Hkv, D, input_pos, causal, scale (0: 1/sqrt(D)), window_left
  uint32_t capacity = 0;
  DType dtype = DType::F32;
  std::vector<float> k_cache, v_cache, q, k_new, v_new;

  size_t kv_index(uint32_t pos, uint32_t kv_head, uint32_t d) const {
    return (size_t{pos} * p.kv_heads + kv_head) * p.head_dim + d;
  }
  size_t q_index(uint32_t s, uint32_t head, uint32_t d) const {
    return (size_t{s} * p.q_heads + head) * p.head_dim + d;
  }
  // The key / value at absolute cache position `pos` as the call leaves it: a new token's
  // when input_pos <= pos < input_pos + S, else the cache's.
  float& key(uint32_t pos, uint32_t kv_head, uint32_t d) { return at(*this, k_new, k_cache, pos, kv_head, d); }
  float& value(uint32_t pos, uint32_t kv_head, uint32_t d) { return at(*this, v_new, v_cache, pos, kv_head, d); }
  float key(uint32_t pos, uint32_t kv_head, uint32_t d) const { return at(*this, k_new, k_cache, pos, kv_head, d); }
  float value(uint32_t pos, uint32_t kv_head, uint32_t d) const { return at(*this, v_new, v_cache, pos, kv_head, d); }

 private:
  template <class Vec>
  static auto at(const HostCall& c, Vec& fresh, Vec& cache, uint32_t pos, uint32_t kv_head, uint32_t d)
      -> decltype(fresh[0]) {
    const auto& p = c.p;
    if (pos >= p.input_pos && pos < p.input_pos + p.seq_len) return fresh[c.kv_index(pos - p.input_pos, kv_head, d)];
    return cache[c.kv_index(pos, kv_head, d)];
  }
};

// Random normal everywhere (never zeros), seeded.
inline HostCall random_call(const reference::CallSpec& p, uint32_t capacity, DType dtype, uint32_t seed) {
  std::mt19937 rng(seed);
  HostCall c;
  c.p = p;
  c.capacity = capacity;
  c.dtype = dtype;
  const size_t row = size_t{p.kv_heads} * p.head_dim;
  c.k_cache = randn(rng, capacity * row);
  c.v_cache = randn(rng, capacity * row);
  c.q = randn(rng, size_t{p.seq_len} * p.q_heads * p.head_dim);
  c.k_new = randn(rng, p.seq_len * row);
  c.v_new = randn(rng, p.seq_len * row);
  return c;
}

// What a cache of `dtype` holds for these values (f16: IEEE halves, so large values become
// Inf); the reference attends over exactly these.
inline std::vector<float> as_stored(std::vector<float> v, DType dtype) {
  if (dtype == DType::F16)
    for (auto& x : v) x = half::round_to_half(x);
  return v;
}

struct CallResult {
  std::vector<float> out;                  // GPU, [S, Hq, D]
  std::vector<double> ref;                 // float64 over the updated cache as stored
  std::vector<float> k_expected, v_expected;  // the whole cache after the update, as stored
};

// The reference side of a call: updates the host cache, returns its expected contents and
// the float64 output.
inline CallResult expected_of(const HostCall& c) {
  CallResult r;
  r.k_expected = c.k_cache;
  r.v_expected = c.v_cache;
  reference::update_cache(r.k_expected, r.v_expected, c.k_new, c.v_new, c.p);
  r.k_expected = as_stored(std::move(r.k_expected), c.dtype);
  r.v_expected = as_stored(std::move(r.v_expected), c.dtype);
  r.ref = reference::attention(c.q, r.k_expected, r.v_expected, c.p);
  return r;
}

// Same value, NaN equal to NaN (f16 caches may change a NaN's payload).
inline bool same_values(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(std::isnan(a[i]) && std::isnan(b[i])) && std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i]))
      return false;
  return true;
}

inline SdpaOptions options_for(const HostCall& c, Algorithm algo) {
  SdpaOptions opt;
  opt.algorithm = algo;
  opt.causal = c.p.causal;
  opt.scale = static_cast<float>(c.p.scale);
  opt.window_left = c.p.window_left;
  opt.softcap = static_cast<float>(c.p.softcap);
  opt.sinks = c.p.sinks;
  opt.alibi = !c.p.alibi_slopes.empty();
  opt.alibi_slopes = c.p.alibi_slopes;  // (masks are tensors: the callers set them)
  return opt;
}

// What the GPU left: the output and the whole cache.
struct GpuResult {
  std::vector<float> out, keys, values;
  Algorithm ran = Algorithm::Auto;
};

// Fills a fresh cache with the call's initial contents, poisons the output and runs forward
// (q, k_new, v_new and out of the dtypes in `act`).
inline GpuResult run_gpu(Context& ctx, const HostCall& c, Algorithm algo, const ActivationDTypes& act = {}) {
  const auto& p = c.p;
  KVCache cache(ctx, {c.capacity, p.kv_heads, p.head_dim, c.dtype});
  cache.update(Tensor::from(ctx, {c.capacity, p.kv_heads, p.head_dim}, c.k_cache),
               Tensor::from(ctx, {c.capacity, p.kv_heads, p.head_dim}, c.v_cache), 0);
  Tensor out(ctx, {p.seq_len, p.q_heads, p.head_dim}, "out", act.out);
  out.poison();
  Sdpa sdpa(ctx);
  const ForwardInfo info =
      sdpa.forward(Tensor::from(ctx, {p.seq_len, p.q_heads, p.head_dim}, c.q, "q", act.q),
                   Tensor::from(ctx, {p.seq_len, p.kv_heads, p.head_dim}, c.k_new, "k_new", act.k_new),
                   Tensor::from(ctx, {p.seq_len, p.kv_heads, p.head_dim}, c.v_new, "v_new", act.v_new), cache,
                   p.input_pos, out, options_for(c, algo));
  if (algo != Algorithm::Auto) {
    EXPECT_EQ(info.algorithm, algo);
  }
  return {out.download(), cache.download_keys(), cache.download_values(), info.algorithm};
}

// run_gpu, then the reference (on the f16 inputs as rounded); checks that the whole cache
// holds what the update should leave.
inline CallResult run_forward(Context& ctx, const HostCall& c, Algorithm algo, const ActivationDTypes& act = {}) {
  GpuResult g = run_gpu(ctx, c, algo, act);
  HostCall rounded = c;
  rounded.q = as_stored(c.q, act.q);
  rounded.k_new = as_stored(c.k_new, act.k_new);
  rounded.v_new = as_stored(c.v_new, act.v_new);
  CallResult r = expected_of(rounded);
  r.out = std::move(g.out);
  EXPECT_TRUE(same_values(g.keys, r.k_expected)) << to_string(algo) << ": K cache after the update";
  EXPECT_TRUE(same_values(g.values, r.v_expected)) << to_string(algo) << ": V cache after the update";
  return r;
}

// Element-wise agreement with the reference: where it is finite the GPU must be within
// `max_abs`, where it is non-finite the GPU must be non-finite too (the exact NaN/Inf is not
// promised: WGSL leaves max() of a NaN implementation-defined).
struct ElementCheck {
  size_t off = 0;           // reference finite, GPU differs by more than max_abs or is non-finite
  size_t lost_nonfinite = 0;  // reference non-finite, GPU finite (a NaN/Inf the row sees was dropped)
  size_t ref_nonfinite = 0;   // how many reference elements are non-finite
  double max_abs = 0;         // over elements finite in both
  size_t first_bad = SIZE_MAX;
  bool ok() const { return off == 0 && lost_nonfinite == 0; }
};

inline ElementCheck check_elements(const std::vector<float>& got, const std::vector<double>& ref, double max_abs) {
  ElementCheck e;
  for (size_t i = 0; i < ref.size(); ++i) {
    const bool rf = std::isfinite(ref[i]), gf = std::isfinite(got[i]);
    bool bad = false;
    if (!rf) {
      ++e.ref_nonfinite;
      bad = gf;
      e.lost_nonfinite += bad;
    } else if (!gf) {
      bad = true;
      ++e.off;
    } else {
      const double d = std::abs(static_cast<double>(got[i]) - ref[i]);
      e.max_abs = std::max(e.max_abs, d);
      bad = d > max_abs;
      e.off += bad;
    }
    if (bad && e.first_bad == SIZE_MAX) e.first_bad = i;
  }
  return e;
}

// "S=.. pos=.. Hq=.. Hkv=.. D=.." for failure messages.
inline std::string str(const reference::CallSpec& p) {
  return "S=" + std::to_string(p.seq_len) + " pos=" + std::to_string(p.input_pos) + " Hq=" +
         std::to_string(p.q_heads) + " Hkv=" + std::to_string(p.kv_heads) + " D=" + std::to_string(p.head_dim);
}

// gtest assertion: the call's output matches the reference element-wise (see check_elements).
inline ::testing::AssertionResult matches_reference(const std::vector<float>& got, const std::vector<double>& ref,
                                                    double max_abs = 2e-6) {
  const ElementCheck e = check_elements(got, ref, max_abs);
  if (e.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << e.off << " of " << ref.size() - e.ref_nonfinite << " finite reference elements wrong (max abs "
         << e.max_abs << " where both finite), " << e.lost_nonfinite << " of " << e.ref_nonfinite
         << " non-finite reference elements came out finite; first bad element " << e.first_bad << ": got "
         << got[e.first_bad] << ", reference " << ref[e.first_bad];
}

// A plan over a host-side copy of its cache: each step uploads the call's inputs, runs the
// plan at call.p.input_pos and compares output and whole cache with the reference. The
// activations have the dtypes in `act` (the reference gets f16 inputs rounded; an f16 out
// is held to verify's f16-out relative L2 instead of the element-wise fp32 check).
struct PlanHarness {
  HostCall host;  // the cache as the steps so far left it, and this step's inputs
  ActivationDTypes act;
  KVCache cache;
  Tensor q, k, v, out;
  SdpaPlan plan;
  // options: applied to the plan's options (e.g. a mask tensor, which options_for cannot know).
  PlanHarness(const HostCall& start, Algorithm algo, const ActivationDTypes& act_dtypes = {},
              const std::function<void(SdpaOptions&)>& options = {})
      : host(start),
        act(act_dtypes),
        cache(test_context(), {start.capacity, start.p.kv_heads, start.p.head_dim, start.dtype}),
        q(test_context(), {start.p.seq_len, start.p.q_heads, start.p.head_dim}, "q", act.q),
        k(test_context(), {start.p.seq_len, start.p.kv_heads, start.p.head_dim}, "k_new", act.k_new),
        v(test_context(), {start.p.seq_len, start.p.kv_heads, start.p.head_dim}, "v_new", act.v_new),
        out(test_context(), {start.p.seq_len, start.p.q_heads, start.p.head_dim}, "out", act.out),
        plan(Sdpa(test_context()).plan(q, k, v, cache, out, [&] {
          SdpaOptions opt = options_for(start, algo);
          if (options) options(opt);
          return opt;
        }())) {
    cache.update(Tensor::from(test_context(), {host.capacity, host.p.kv_heads, host.p.head_dim}, host.k_cache),
                 Tensor::from(test_context(), {host.capacity, host.p.kv_heads, host.p.head_dim}, host.v_cache), 0);
    host.k_cache = as_stored(host.k_cache, host.dtype);
    host.v_cache = as_stored(host.v_cache, host.dtype);
    if (algo != Algorithm::Auto) {
      EXPECT_EQ(plan.algorithm(), algo);
    }
  }
  // One step at `pos` with fresh random inputs edited by `edit`; returns the element check.
  ::testing::AssertionResult step(uint32_t pos, uint32_t seed, const std::function<void(HostCall&)>& edit,
                                  size_t* ref_nonfinite) {
    std::mt19937 rng(seed);
    host.p.input_pos = pos;
    host.q = randn(rng, host.q.size());
    host.k_new = randn(rng, host.k_new.size());
    host.v_new = randn(rng, host.v_new.size());
    edit(host);
    host.q = as_stored(host.q, act.q);
    host.k_new = as_stored(host.k_new, act.k_new);
    host.v_new = as_stored(host.v_new, act.v_new);
    q.upload(host.q);
    k.upload(host.k_new);
    v.upload(host.v_new);
    out.poison();
    plan.run(pos);
    const CallResult r = expected_of(host);
    host.k_cache = r.k_expected;
    host.v_cache = r.v_expected;
    EXPECT_TRUE(same_values(cache.download_keys(), r.k_expected)) << "K cache after the step at " << pos;
    EXPECT_TRUE(same_values(cache.download_values(), r.v_expected)) << "V cache after the step at " << pos;
    const std::vector<float> got = out.download();
    *ref_nonfinite = check_elements(got, r.ref, 2e-6).ref_nonfinite;
    if (act.out == DType::F32) return matches_reference(got, r.ref);
    const reference::Comparison cmp = reference::compare(got, r.ref);
    const double limit = verify::tolerance(host.dtype, 1, DType::F16).rel_l2;
    if (cmp.nonfinite == 0 && cmp.rel_l2 <= limit) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "f16 out: rel_l2 " << cmp.rel_l2 << " (limit " << limit << "), "
                                         << cmp.nonfinite << " non-finite where the reference is not or vice versa";
  }
};

inline const std::function<void(HostCall&)> kNoEdit = [](HostCall&) {};

// gtest check: verify::run_case of `c` on `algo` / `dtype` passes (output, lse and the whole
// cache within the limits), the message naming the case and its errors.
inline void expect_case_passes(Context& ctx, const verify::Case& c, Algorithm algo, DType dtype, uint32_t seed) {
  const verify::Result r = verify::run_case(ctx, c, algo, dtype, seed);
  EXPECT_TRUE(r.passed()) << to_string(algo) << " " << to_string(dtype) << " " << c.str() << ": max_abs "
                          << r.cmp.max_abs << " rel_l2 " << r.cmp.rel_l2 << " nonfinite " << r.cmp.nonfinite
                          << " lse rel_l2 " << r.lse_cmp.rel_l2 << " lse nonfinite " << r.lse_cmp.nonfinite
                          << " cache_exact " << r.cache_exact;
}

}  // namespace webattn::testing
