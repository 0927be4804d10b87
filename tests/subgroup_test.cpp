// The split-kv row reductions on both preludes: subgroup shuffles (lavapipe runs them with
// 8-wide subgroups, so the cross-subgroup combine is exercised here; the H200 runs 32 wide)
// and the workgroup-memory fallback of devices without subgroups (flash-prefill's too).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "test_context.hpp"
#include "webattn/verify.hpp"
#include "webattn/webattn.hpp"

using namespace webattn;

namespace {

void expect_split_kv_matches_reference(Context& ctx) {
  std::mt19937 rng(23);
  // Multi-token steps (the causal diagonal inside a chunk) and a decode step over many chunks.
  for (auto [S, pos] : {std::pair<uint32_t, uint32_t>{1, 700}, {4, 61}, {3, 0}}) {
    const uint32_t Hq = 8, Hkv = 2, D = 16, cap = pos + S + 5;
    auto kc = webattn::testing::randn(rng, size_t{cap} * Hkv * D), vc = webattn::testing::randn(rng, size_t{cap} * Hkv * D);
    auto q = webattn::testing::randn(rng, size_t{S} * Hq * D), kn = webattn::testing::randn(rng, size_t{S} * Hkv * D),
         vn = webattn::testing::randn(rng, size_t{S} * Hkv * D);
    KVCache cache(ctx, {cap, Hkv, D});
    cache.update(Tensor::from(ctx, {cap, Hkv, D}, kc), Tensor::from(ctx, {cap, Hkv, D}, vc), 0);
    Tensor out(ctx, {S, Hq, D});
    out.poison();
    SdpaOptions opt;
    opt.algorithm = Algorithm::SplitKvDecode;
    opt.split_kv_workgroups = 64;  // several chunks per kv head: the merge runs too
    Sdpa(ctx).forward(Tensor::from(ctx, {S, Hq, D}, q), Tensor::from(ctx, {S, Hkv, D}, kn),
                      Tensor::from(ctx, {S, Hkv, D}, vn), cache, pos, out, opt);
    reference::CallSpec p{S, Hq, Hkv, D, pos, true, 0};
    reference::update_cache(kc, vc, kn, vn, p);
    const auto cmp = reference::compare(out.download(), reference::attention(q, kc, vc, p));
    EXPECT_EQ(cmp.nonfinite, 0u) << "S=" << S << " pos=" << pos;
    EXPECT_LE(cmp.max_abs, 2e-6) << "S=" << S << " pos=" << pos;
    EXPECT_LE(cmp.rel_l2, 1e-6) << "S=" << S << " pos=" << pos;
  }
}

}  // namespace

TEST(SubgroupReductions, ShufflesAtTheAdaptersRealWidth) {
  if (!webattn::testing::test_context().has_subgroups()) GTEST_SKIP() << "adapter has no subgroups";
  expect_split_kv_matches_reference(webattn::testing::test_context());
}

TEST(SubgroupReductions, WorkgroupMemoryFallbackWithoutSubgroups) {
  ContextOptions o;
  o.subgroups = false;
  Context ctx(o);
  ASSERT_FALSE(ctx.has_subgroups());
  EXPECT_FALSE(ctx.adapter().subgroups) << "the summary describes the device, which has no subgroups";
  expect_split_kv_matches_reference(ctx);
  // flash-prefill keeps its P tile in workgroup memory there (its shuffled form needs subgroups),
  // with 128- and 64-row tiles.
  for (uint32_t tx : {8u, 16u}) {
    Tuning tiles;
    tiles.flash_threads_x = tx;
    const verify::Case c{70, 8, 2, 64, 30, 110};
    const verify::Result r = verify::run_case(ctx, c, Algorithm::FlashPrefill, DType::F32, 90 + tx, &tiles);
    EXPECT_TRUE(r.passed()) << "flash-prefill without subgroups, threads_x " << tx << ": max_abs " << r.cmp.max_abs;
  }
}

