// Log-sum-exp out (SdpaOptions::lse, [S, Hq]): against the float64 reference, and merged:
// attention over the two halves of a context, each with its LSE, merges into attention
// over the whole. flash-prefill, split-kv and Auto; three-pass refuses it; bad tensors are
// ShapeErrors.
#include <gtest/gtest.h>

#include <cmath>

#include "host_call.hpp"
#include "webattn/verify.hpp"

using namespace webattn;
using namespace webattn::testing;

namespace {
Context& ctx() { return test_context(); }

struct Half {
  std::vector<float> out, lse;
};

// Non-causal attention of S query rows over `keys` / `values` ([n, Hkv, D] each, n >= S):
// the cache holds the first n - S rows, the call's new tokens are the last S.
Half attend(const std::vector<float>& q, const std::vector<float>& keys, const std::vector<float>& values,
            uint32_t n, uint32_t S, uint32_t Hq, uint32_t Hkv, uint32_t D, Algorithm algo) {
  const size_t row = size_t{Hkv} * D, split = size_t{n - S} * row;
  KVCache cache(ctx(), {n, Hkv, D, DType::F32});
  if (n > S)
    cache.update(Tensor::from(ctx(), {n - S, Hkv, D}, {keys.begin(), keys.begin() + split}),
                 Tensor::from(ctx(), {n - S, Hkv, D}, {values.begin(), values.begin() + split}), 0);
  Tensor out(ctx(), {S, Hq, D}), lse(ctx(), {S, Hq}, "lse");
  out.poison();
  lse.poison();
  SdpaOptions opt;
  opt.algorithm = algo;
  opt.causal = false;
  opt.lse = &lse;
  Sdpa(ctx()).forward(Tensor::from(ctx(), {S, Hq, D}, q),
                      Tensor::from(ctx(), {S, Hkv, D}, {keys.begin() + split, keys.begin() + split + S * row}),
                      Tensor::from(ctx(), {S, Hkv, D}, {values.begin() + split, values.begin() + split + S * row}),
                      cache, n - S, out, opt);
  return {out.download(), lse.download()};
}
}  // namespace

// Two halves of a 200-key context (keys 0..99 and 100..199), each attended with its LSE,
// merged by log-sum-exp weights, equal the whole (and the whole's LSE is logaddexp).
TEST(Lse, TwoHalvesMergeIntoTheWhole) {
  const uint32_t S = 3, Hq = 4, Hkv = 2, D = 8, C = 200, H = 100;
  std::mt19937 rng(17);
  const auto q = randn(rng, size_t{S} * Hq * D), k = randn(rng, size_t{C} * Hkv * D), v = randn(rng, size_t{C} * Hkv * D);
  const size_t half = size_t{H} * Hkv * D;
  for (Algorithm algo : {Algorithm::Auto, Algorithm::SplitKvDecode, Algorithm::FlashPrefill}) {
    SCOPED_TRACE(to_string(algo));
    const Half whole = attend(q, k, v, C, S, Hq, Hkv, D, algo);
    const Half a = attend(q, {k.begin(), k.begin() + half}, {v.begin(), v.begin() + half}, H, S, Hq, Hkv, D, algo);
    const Half b = attend(q, {k.begin() + half, k.end()}, {v.begin() + half, v.end()}, C - H, S, Hq, Hkv, D, algo);
    for (uint32_t i = 0; i < S * Hq; ++i) {
      const double la = a.lse[i], lb = b.lse[i], m = std::max(la, lb);
      const double l = m + std::log(std::exp(la - m) + std::exp(lb - m));
      EXPECT_NEAR(whole.lse[i], l, 2e-6 * std::max(1.0, std::abs(l))) << "row " << i;
      for (uint32_t d = 0; d < D; ++d) {
        const double merged = std::exp(la - l) * a.out[i * D + d] + std::exp(lb - l) * b.out[i * D + d];
        EXPECT_NEAR(whole.out[i * D + d], merged, 2e-6) << "row " << i << " d " << d;
      }
    }
  }
}

// The LSE against float64 through verify (output and lse poisoned first), with a window,
// a soft-cap and sinks too.
TEST(Lse, MatchesReference) {
  struct Shape {
    uint32_t S, Hq, Hkv, D, pos;
    bool causal;
  };
  const Shape shapes[] = {{1, 4, 2, 8, 300, true}, {70, 4, 2, 8, 60, true}, {5, 2, 1, 8, 130, false}};
  uint32_t seed = 300;
  for (const Shape& s : shapes)
    for (bool variants : {false, true})
      for (Algorithm algo : algorithms_and_auto())
        for (DType dtype : {DType::F32, DType::F16}) {
          verify::Case c{s.S, s.Hq, s.Hkv, s.D, s.pos, s.pos + s.S + 3, s.causal};
          c.lse = true;
          if (variants) {
            c.window_left = 65;
            c.softcap = 20.f;
            c.sinks.assign(s.Hq, 1.5f);
          }
          if (!verify::supported(ctx(), c, algo)) continue;
          expect_case_passes(ctx(), c, algo, dtype, ++seed);
        }
}

// Three-pass refuses an lse; a wrong shape or a buffer shared with out is a ShapeError.
TEST(Lse, RefusedAndValidated) {
  KVCache cache(ctx(), {16, 2, 8, DType::F32});
  Tensor q(ctx(), {2, 4, 8}), k(ctx(), {2, 2, 8}), v(ctx(), {2, 2, 8}), out(ctx(), {2, 4, 8});
  Tensor lse(ctx(), {2, 4}), wrong(ctx(), {4, 2});
  Sdpa sdpa(ctx());
  SdpaOptions opt;
  opt.lse = &lse;
  opt.algorithm = Algorithm::ThreePassCoalesced;
  try {
    sdpa.forward(q, k, v, cache, 0, out, opt);
    ADD_FAILURE() << "three-pass accepted an lse";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("log-sum-exp"), std::string::npos) << e.what();
  }
  opt.algorithm = Algorithm::Auto;
  opt.lse = &wrong;
  try {
    sdpa.forward(q, k, v, cache, 0, out, opt);
    ADD_FAILURE() << "an lse of [4, 2] accepted for S 2, Hq 4";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("lse"), std::string::npos) << e.what();
  }
  Tensor in_out = Tensor::wrap(ctx(), out.wgpu_buffer(), 0, {2, 4});  // the same buffer as out
  opt.lse = &in_out;
  try {
    sdpa.forward(q, k, v, cache, 0, out, opt);
    ADD_FAILURE() << "an lse in out's buffer accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("lse and out are in the same WGPUBuffer"), std::string::npos) << e.what();
  }
}
