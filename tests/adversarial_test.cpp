// Adversarial inputs found by a break-it session: every case a wrong answer, a crash or a
// silent acceptance the public API gave, held to what the headers promise.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "test_context.hpp"
#include "webattn/reference.hpp"
#include "webattn/verify.hpp"
#include "webattn/webattn.hpp"

using namespace webattn;
using webattn::testing::error_of;
using webattn::testing::randn;

namespace {
Context& ctx() { return webattn::testing::test_context(); }

// One call S=3 at position 6 (Hq 4, Hkv 2, D 8) on `algo` against the float64 reference;
// `edit` changes the options and the reference's spec alike.
template <class Edit>
reference::Comparison run_against_reference(Algorithm algo, Edit&& edit) {
  const uint32_t S = 3, Hq = 4, Hkv = 2, D = 8, pos = 6, cap = 12;
  std::mt19937 rng(5);
  auto kc = randn(rng, size_t{cap} * Hkv * D), vc = randn(rng, size_t{cap} * Hkv * D);
  auto q = randn(rng, size_t{S} * Hq * D), kn = randn(rng, size_t{S} * Hkv * D), vn = randn(rng, size_t{S} * Hkv * D);
  KVCache cache(ctx(), {cap, Hkv, D});
  cache.update(Tensor::from(ctx(), {cap, Hkv, D}, kc), Tensor::from(ctx(), {cap, Hkv, D}, vc), 0);
  SdpaOptions opt;
  opt.algorithm = algo;
  reference::CallSpec p{S, Hq, Hkv, D, pos, true, 0};
  edit(opt, p, q);
  Tensor out(ctx(), {S, Hq, D});
  out.poison();
  Sdpa(ctx()).forward(Tensor::from(ctx(), {S, Hq, D}, q), Tensor::from(ctx(), {S, Hkv, D}, kn),
                      Tensor::from(ctx(), {S, Hkv, D}, vn), cache, pos, out, opt);
  reference::update_cache(kc, vc, kn, vn, p);
  return reference::compare(out.download(), reference::attention(q, kc, vc, p));
}
}  // namespace

// sinks takes any finite value. flash-prefill-tiled formed sink * log2 e, which is +-Inf in
// fp32 past 2.36e38: a sink of 3e38 gave NaN rows (Inf - Inf) where the reference (and
// flash-prefill, split-kv) give 0, and a NaN LSE where the reference gives the sink.
TEST(Adversarial, TiledPrefillTakesSinksNearTheFloatLimit) {
  for (Algorithm algo : {Algorithm::FlashPrefill, Algorithm::SplitKvDecode, Algorithm::FlashPrefillTiled}) {
    const auto cmp = run_against_reference(algo, [](SdpaOptions& o, reference::CallSpec& p, auto&) {
      o.sinks = {3e38f, -3e38f, 2.4e38f, 1.f};
      p.sinks = o.sinks;
    });
    EXPECT_EQ(cmp.nonfinite, 0u) << to_string(algo);
    EXPECT_LE(cmp.max_abs, 2e-6) << to_string(algo);
    EXPECT_LE(cmp.rel_l2, 1e-6) << to_string(algo);
  }
  // and the LSE: the sink itself for the heads it dominates
  const uint32_t S = 2, Hq = 2, Hkv = 1, D = 8;
  std::mt19937 rng(3);
  KVCache cache(ctx(), {S, Hkv, D});
  Tensor out(ctx(), {S, Hq, D}), lse(ctx(), {S, Hq}, "lse");
  lse.poison();
  SdpaOptions o;
  o.algorithm = Algorithm::FlashPrefillTiled;
  o.sinks = {3e38f, -3e38f};
  o.lse = &lse;
  Sdpa(ctx()).forward(Tensor::from(ctx(), {S, Hq, D}, randn(rng, S * Hq * D)),
                      Tensor::from(ctx(), {S, Hkv, D}, randn(rng, S * D)),
                      Tensor::from(ctx(), {S, Hkv, D}, randn(rng, S * D)), cache, 0, out, o);
  const auto l = lse.download();
  for (uint32_t s = 0; s < S; ++s) {
    EXPECT_EQ(l[s * Hq + 0], 3e38f) << "row " << s;  // e^(score - 3e38) vanishes next to 1
    EXPECT_TRUE(std::isfinite(l[s * Hq + 1])) << "row " << s;
  }
}

// scale takes any finite value. flash-prefill-tiled staged q * (scale * log2 e) and
// flash-prefill stored k * scale: with scale 3e38 either product overflows to Inf (or
// 0 * Inf = NaN) although the score q.k * scale is 0 here (q = 0): the reference, three-pass
// and split-kv give the plain average of V; the two prefill kernels gave NaN. A scale above 1
// now multiplies the finished scores (SCALE_AFTER) in every kernel.
TEST(Adversarial, HugeScaleWithZeroQueryGivesTheAverage) {
  for (Algorithm algo : {Algorithm::ThreePassCoalesced, Algorithm::SplitKvDecode, Algorithm::FlashPrefill,
                         Algorithm::FlashPrefillTiled}) {
    const auto cmp = run_against_reference(algo, [](SdpaOptions& o, reference::CallSpec& p, auto& q) {
      o.scale = 3e38f;
      p.scale = 3e38;
      for (auto& x : q) x = 0;
    });
    EXPECT_EQ(cmp.nonfinite, 0u) << to_string(algo);
    EXPECT_LE(cmp.max_abs, 2e-6) << to_string(algo);
  }
}

// The mirror case: every key 0 and a large q. Folding the scale into q (split-kv, three-pass,
// flash-prefill-tiled did for any scale) made q * 3e38 = Inf and Inf * 0 = NaN although every
// score is 0; the answer is the plain average of V.
TEST(Adversarial, HugeScaleWithZeroKeysGivesTheAverage) {
  const uint32_t S = 2, Hq = 4, Hkv = 2, D = 8, pos = 5, cap = 9;
  std::mt19937 rng(11);
  std::vector<float> kc(size_t{cap} * Hkv * D, 0.0f), kn(size_t{S} * Hkv * D, 0.0f);
  auto vc = randn(rng, size_t{cap} * Hkv * D), vn = randn(rng, size_t{S} * Hkv * D);
  auto q = randn(rng, size_t{S} * Hq * D);
  for (auto& x : q) x *= 1000.0f;
  for (Algorithm algo : {Algorithm::ThreePassCoalesced, Algorithm::SplitKvDecode, Algorithm::FlashPrefill,
                         Algorithm::FlashPrefillTiled}) {
    KVCache cache(ctx(), {cap, Hkv, D});
    cache.update(Tensor::from(ctx(), {cap, Hkv, D}, kc), Tensor::from(ctx(), {cap, Hkv, D}, vc), 0);
    SdpaOptions opt;
    opt.algorithm = algo;
    opt.scale = 3e38f;
    reference::CallSpec p{S, Hq, Hkv, D, pos, true, 3e38};
    Tensor out(ctx(), {S, Hq, D});
    out.poison();
    Sdpa(ctx()).forward(Tensor::from(ctx(), {S, Hq, D}, q), Tensor::from(ctx(), {S, Hkv, D}, kn),
                        Tensor::from(ctx(), {S, Hkv, D}, vn), cache, pos, out, opt);
    auto k_ref = kc, v_ref = vc;
    reference::update_cache(k_ref, v_ref, kn, vn, p);
    const auto cmp = reference::compare(out.download(), reference::attention(q, k_ref, v_ref, p));
    EXPECT_EQ(cmp.nonfinite, 0u) << to_string(algo);
    EXPECT_LE(cmp.max_abs, 2e-6) << to_string(algo);
    EXPECT_LE(cmp.rel_l2, 1e-6) << to_string(algo);
  }
}

// A KVCacheConfig dtype outside the enum was accepted (sized and run as f32); the README
// promises a ShapeError naming it, as for tensors.
TEST(Adversarial, CacheDTypeOutsideTheEnumIsRefused) {
  const auto bad = static_cast<DType>(3);
  EXPECT_NE(error_of<ShapeError>([&] { KVCache(ctx(), {4, 1, 4, bad}); }).find("dtype 3"), std::string::npos);
  Sdpa sdpa(ctx());
  EXPECT_NE(error_of<ShapeError>([&] { sdpa.validate(1, 1, 0, {4, 1, 4, bad}); }).find("dtype 3"), std::string::npos);
  EXPECT_STREQ(to_string(bad), "?");
}

// KVCache::update with k_new / v_new of another Context threw Dawn's validation error
// ("[Buffer "tensor"] is associated with [Device "webattn"], and cannot be used with
// [Device "webattn"]") instead of saying which tensor belongs elsewhere, as forward does.
TEST(Adversarial, CacheUpdateRefusesTensorsOfAnotherContext) {
  KVCache cache(ctx(), {4, 1, 4});
  Context& other = webattn::testing::small_bindings_context();
  Tensor k(other, {2, 1, 4}, "k_elsewhere"), v(ctx(), {2, 1, 4}, "v_here");
  const std::string msg = error_of<ShapeError>([&] { cache.update(k, v, 0); });
  EXPECT_NE(msg.find("'k_elsewhere' belongs to another Context"), std::string::npos) << msg;
}

// Sdpa::choose validated nothing: S 0 and input_pos + S past 2^32 got an algorithm, and
// kv_heads 0 divided by zero (SIGFPE, the process died). It should throw ShapeError as
// validate() does. (Not fixed here: src/attention/sdpa.cpp is being edited elsewhere.)
TEST(AdversarialDeathTest, ChooseValidatesItsArguments) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Sdpa sdpa(ctx());
  EXPECT_THROW(sdpa.choose(0, 0, {8, 2, 4}, 4), ShapeError);
  EXPECT_THROW(sdpa.choose(2, 0xffffffffu, {8, 2, 4}, 4), ShapeError);
  EXPECT_EXIT(
      {
        try {
          Sdpa(ctx()).choose(1, 0, {8, 0, 4}, 4);
        } catch (const ShapeError&) {
          std::exit(0);
        } catch (...) {
        }
        std::exit(1);
      },
      ::testing::ExitedWithCode(0), "");
}

// A moved-from SdpaPlan: run_steps says "plan 0 is null" (ShapeError), but run(),
// encode() and algorithm() dereference the null impl (SIGSEGV). They should throw the same
// way. (Not fixed here: src/attention/sdpa.cpp is being edited elsewhere.)
namespace {
[[noreturn]] void run_moved_from_plan() {
  KVCache cache(ctx(), {8, 1, 4});
  Tensor q(ctx(), {1, 1, 4}), k(ctx(), {1, 1, 4}), v(ctx(), {1, 1, 4}), out(ctx(), {1, 1, 4});
  SdpaPlan plan = Sdpa(ctx()).plan(q, k, v, cache, out);
  SdpaPlan taken = std::move(plan);
  try {
    plan.run(0);  // NOLINT(bugprone-use-after-move): the point of the test
  } catch (const ShapeError&) {
    std::exit(0);
  } catch (...) {
  }
  std::exit(1);
}
}  // namespace

TEST(AdversarialDeathTest, MovedFromPlanThrowsInsteadOfCrashing) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(run_moved_from_plan(), ::testing::ExitedWithCode(0), "");
}
