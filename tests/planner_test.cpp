// Algorithm::Auto picks by shape: context-parallel split-kv for few query rows per kv
// head, the fused kernel for prefill, the three-pass path when neither fits.
#include <gtest/gtest.h>

#include "test_context.hpp"

#include "webattn/webattn.hpp"

using namespace webattn;

namespace {
Context& ctx() { return webattn::testing::test_context(); }
}  // namespace

TEST(Planner, DecodeAndShortStepsUseSplitKv) {
  Sdpa sdpa(ctx());
  EXPECT_EQ(sdpa.choose(1, 4095, {4096, 8, 128}, 32), Algorithm::SplitKvDecode);
  EXPECT_EQ(sdpa.choose(4, 100, {4096, 8, 64}, 32), Algorithm::SplitKvDecode);  // 16 rows per kv head
}

TEST(Planner, PrefillUsesFlash) {
  Sdpa sdpa(ctx());
  EXPECT_EQ(sdpa.choose(512, 0, {4096, 8, 128}, 32), Algorithm::FlashPrefill);
  EXPECT_EQ(sdpa.choose(17, 300, {4096, 8, 64}, 32), Algorithm::FlashPrefill);  // chunked prefill
}

TEST(Planner, HeadDimTooLargeForFusedKernelsFallsBackToThreePass) {
  Sdpa sdpa(ctx());
  // D = 2048: no fused tile fits 32-48 KB of workgroup memory.
  EXPECT_EQ(sdpa.choose(64, 0, {128, 1, 2048}, 1), Algorithm::ThreePassCoalesced);
}

TEST(Planner, AutoRunsWhatChooseSays) {
  KVCache cache(ctx(), {64, 2, 8});
  Tensor q = Tensor::from(ctx(), {1, 4, 8}, std::vector<float>(32, 0.5f));
  Tensor k = Tensor::from(ctx(), {1, 2, 8}, std::vector<float>(16, 0.25f));
  Tensor v = Tensor::from(ctx(), {1, 2, 8}, std::vector<float>(16, 1.0f));
  Tensor out(ctx(), {1, 4, 8});
  Sdpa sdpa(ctx());
  EXPECT_EQ(sdpa.forward(q, k, v, cache, 10, out).algorithm, sdpa.choose(1, 10, cache.config(), 4));
}
