// Hard inputs: NaN/Inf, repeated updates, several caches on one device, a lost device.
#include <gtest/gtest.h>

#include "internal.hpp"
#include "test_context.hpp"

#include <cmath>
#include <random>

#include "webattn/webattn.hpp"
#include "gpu/device.hpp"

using namespace webattn;

namespace {

Context& ctx() { return webattn::testing::test_context(); }

using webattn::testing::randn;

struct Run {
  std::vector<float> out;
  std::vector<double> ref;
};

// S=3 tokens at position 5, Hq=4, Hkv=2, D=8; `poison` edits the host inputs first.
template <class Edit>
Run run(Algorithm algo, uint32_t S, Edit&& poison) {
  const uint32_t Hq = 4, Hkv = 2, D = 8, pos = 5, cap = 16;
  std::mt19937 rng(11);
  auto kc = randn(rng, size_t{cap} * Hkv * D), vc = randn(rng, size_t{cap} * Hkv * D);
  auto q = randn(rng, size_t{S} * Hq * D), kn = randn(rng, size_t{S} * Hkv * D), vn = randn(rng, size_t{S} * Hkv * D);
  poison(q, kn, vn);
  KVCache cache(ctx(), {cap, Hkv, D});
  cache.update(Tensor::from(ctx(), {cap, Hkv, D}, kc), Tensor::from(ctx(), {cap, Hkv, D}, vc), 0);
  Tensor out(ctx(), {S, Hq, D});
  out.poison();
  Sdpa sdpa(ctx());
  SdpaOptions opt;
  opt.algorithm = algo;
  sdpa.forward(Tensor::from(ctx(), {S, Hq, D}, q), Tensor::from(ctx(), {S, Hkv, D}, kn),
               Tensor::from(ctx(), {S, Hkv, D}, vn), cache, pos, out, opt);
  reference::CallSpec p{S, Hq, Hkv, D, pos, true, 0};
  reference::update_cache(kc, vc, kn, vn, p);
  return {out.download(), reference::attention(q, kc, vc, p)};
}

}  // namespace

// A NaN in one query row makes that row's output non-finite, as in the reference, and
// leaves every other row exact. (WGSL leaves max() of a NaN implementation-defined; the
// kernels never let a row read another row's scores, which is what this pins down.)
TEST(HardInputs, NanInOneQueryRowStaysInThatRow) {
  for (Algorithm algo : all_algorithms()) {
    auto r = run(algo, 3, [](auto& q, auto&, auto&) { q[1 * 4 * 8 + 2 * 8 + 3] = NAN; });  // row s=1, head 2
    for (size_t i = 0; i < r.out.size(); ++i) {
      const bool ref_finite = std::isfinite(r.ref[i]);
      if (!ref_finite) {
        EXPECT_FALSE(std::isfinite(r.out[i])) << to_string(algo) << " element " << i;
      } else {
        EXPECT_NEAR(r.out[i], r.ref[i], 2e-6) << to_string(algo) << " element " << i;
      }
    }
  }
}

// An Inf in a new key turns every row that sees it non-finite in the reference (inf-inf);
// rows that cannot see it (causal) are unaffected on the GPU too.
TEST(HardInputs, InfInANewKeyOnlyReachesRowsThatSeeIt) {
  for (Algorithm algo : all_algorithms()) {
    // key of the last new token (position 7), kv head 0: only row s=2 (position 7) sees it
    auto r = run(algo, 3, [](auto&, auto& kn, auto&) { kn[2 * 2 * 8 + 0] = INFINITY; });
    for (size_t i = 0; i < r.out.size(); ++i) {
      if (std::isfinite(r.ref[i])) {
        EXPECT_NEAR(r.out[i], r.ref[i], 2e-6) << to_string(algo) << " element " << i;
      }
    }
  }
}

// An Inf in a new value reaches only the rows that see its key: a row that cannot see it must not
// add it even as 0 * Inf (= NaN), which is what a masked P.V loop multiplying by a zeroed
// probability would do.
TEST(HardInputs, InfInANewValueOnlyReachesRowsThatSeeIt) {
  for (Algorithm algo : all_algorithms()) {
    // value of the last new token (position 7), kv head 0, d 0: only row s=2 sees it
    auto r = run(algo, 3, [](auto&, auto&, auto& vn) { vn[2 * 2 * 8 + 0] = INFINITY; });
    int inf_seen = 0;
    for (size_t i = 0; i < r.out.size(); ++i) {
      if (std::isfinite(r.ref[i])) {
        EXPECT_NEAR(r.out[i], r.ref[i], 2e-6) << to_string(algo) << " element " << i;
      } else {
        ++inf_seen;
        EXPECT_FALSE(std::isfinite(r.out[i])) << to_string(algo) << " element " << i;
      }
    }
    EXPECT_EQ(inf_seen, 2) << "the reference should carry the Inf into d 0 of row s=2's two heads of kv head 0";
  }
}

TEST(HardInputs, RepeatedUpdatesAtOnePositionOverwriteExactly) {
  KVCache cache(ctx(), {8, 1, 4});
  std::vector<float> a(4 * 2, 1.5f), b = {1, 2, 3, 4, 5, 6, 7, 8};
  cache.update(Tensor::from(ctx(), {2, 1, 4}, a), Tensor::from(ctx(), {2, 1, 4}, a), 3);
  cache.update(Tensor::from(ctx(), {2, 1, 4}, b), Tensor::from(ctx(), {2, 1, 4}, b), 3);
  auto k = cache.download_keys();
  EXPECT_EQ(std::vector<float>(k.begin() + 12, k.begin() + 20), b);
}

TEST(HardInputs, TwoCachesOnOneDeviceDoNotInterfere) {
  const uint32_t Hq = 4, Hkv = 2, D = 8;
  std::mt19937 rng(5);
  KVCache c1(ctx(), {32, Hkv, D}), c2(ctx(), {32, Hkv, D});
  std::vector<float> h1k(32 * Hkv * D, 0.f), h1v = h1k, h2k = h1k, h2v = h1k;
  Sdpa sdpa(ctx());
  for (uint32_t step = 0; step < 4; ++step) {  // interleaved decode steps on both caches
    for (int which = 0; which < 2; ++which) {
      auto& hk = which ? h2k : h1k;
      auto& hv = which ? h2v : h1v;
      auto q = randn(rng, Hq * D), kn = randn(rng, Hkv * D), vn = randn(rng, Hkv * D);
      Tensor out = sdpa.forward(Tensor::from(ctx(), {1, Hq, D}, q), Tensor::from(ctx(), {1, Hkv, D}, kn),
                                Tensor::from(ctx(), {1, Hkv, D}, vn), which ? c2 : c1, step);
      reference::CallSpec p{1, Hq, Hkv, D, step, true, 0};
      reference::update_cache(hk, hv, kn, vn, p);
      auto cmp = reference::compare(out.download(), reference::attention(q, hk, hv, p));
      EXPECT_LE(cmp.max_abs, 2e-6) << "cache " << which << " step " << step;
      EXPECT_EQ(cmp.nonfinite, 0u);
    }
  }
}

TEST(HardInputs, LostDeviceRaisesAndANewContextWorks) {
  {
    Context doomed;
    KVCache cache(doomed, {8, 1, 4});
    Tensor k = Tensor::from(doomed, {1, 1, 4}, {1, 2, 3, 4});
    gpu_device(doomed).destroy();  // what a driver reset or GPU removal looks like to Dawn
    EXPECT_THROW(cache.update(k, k, 0), DeviceLostError);
  }
  Context fresh;
  KVCache cache(fresh, {8, 1, 4});
  Tensor k = Tensor::from(fresh, {1, 1, 4}, {1, 2, 3, 4});
  cache.update(k, k, 2);
  auto got = cache.download_keys();
  EXPECT_EQ(std::vector<float>(got.begin() + 8, got.begin() + 12), (std::vector<float>{1, 2, 3, 4}));
}
