// Sdpa::validate: the GPU-free check the CLI runs before any work. It must refuse what
// forward() refuses, with the same exception type, and accept what forward() runs.
#include <gtest/gtest.h>

#include "test_context.hpp"
#include "webattn/attention.hpp"
#include "webattn/errors.hpp"

using namespace webattn;

namespace {
Context& ctx() { return webattn::testing::test_context(); }

// A Context whose storage bindings hold at most 4 KiB: binding limits with small tensors.
Context& small_binding_ctx() {
  static Context c([] {
    ContextOptions o;
    o.max_binding_bytes = 4096;
    return o;
  }());
  return c;
}

struct Call {
  uint32_t S, Hq, pos;
  KVCacheConfig cache;
  SdpaOptions opt = {};
};

// What forward() throws for the call: 0 nothing, 1 ShapeError, 2 UnsupportedError.
int forward_outcome(Context& c, const Call& call) {
  try {
    KVCache cache(c, call.cache);
    Tensor q(c, {call.S, call.Hq, call.cache.head_dim});
    Tensor k(c, {call.S, call.cache.kv_heads, call.cache.head_dim});
    Tensor v(c, {call.S, call.cache.kv_heads, call.cache.head_dim});
    Sdpa(c).forward(q, k, v, cache, call.pos, call.opt);
    return 0;
  } catch (const ShapeError&) {
    return 1;
  } catch (const UnsupportedError&) {
    return 2;
  }
}

int validate_outcome(Context& c, const Call& call) {
  try {
    Sdpa(c).validate(call.S, call.Hq, call.pos, call.cache, call.opt);
    return 0;
  } catch (const ShapeError&) {
    return 1;
  } catch (const UnsupportedError&) {
    return 2;
  }
}

SdpaOptions with(Algorithm a) {
  SdpaOptions o;
  o.algorithm = a;
  return o;
}
}  // namespace

TEST(Validate, AgreesWithForwardOnValidAndInvalidCalls) {
  const std::vector<std::pair<const char*, Call>> calls = {
      {"decode", {1, 4, 20, {32, 2, 8}}},
      {"prefill", {16, 4, 0, {16, 2, 8}}},
      {"past capacity", {4, 4, 30, {32, 2, 8}}},
      {"Hq not a multiple of Hkv", {1, 3, 0, {8, 2, 8}}},
      {"head_dim 6", {1, 2, 0, {8, 2, 6}}},
      {"split-kv, too many rows", {16, 8, 0, {16, 2, 8}, with(Algorithm::SplitKvDecode)}},
      {"negative scale", {1, 2, 0, {8, 2, 8}, [] { SdpaOptions o; o.scale = -1; return o; }()}},
  };
  for (const auto& [name, call] : calls) {
    const int v = validate_outcome(ctx(), call);
    EXPECT_EQ(v, forward_outcome(ctx(), call)) << name;
  }
  EXPECT_EQ(validate_outcome(ctx(), calls[0].second), 0);
  EXPECT_EQ(validate_outcome(ctx(), calls[2].second), 1);
  EXPECT_EQ(validate_outcome(ctx(), calls[5].second), 2);
}

TEST(Validate, NamesTheDeviceLimitAndRunsNoKernel) {
  // q [8, 64, 8] is 16 KiB, over the 4 KiB bindings; the cache fits (windows).
  const Call big_q{8, 64, 0, {8, 2, 8}, with(Algorithm::FlashPrefill)};
  EXPECT_EQ(forward_outcome(small_binding_ctx(), big_q), 2);
  const auto before = small_binding_ctx().object_counts();
  try {
    Sdpa(small_binding_ctx()).validate(big_q.S, big_q.Hq, big_q.pos, big_q.cache, big_q.opt);
    FAIL() << "q over the binding limit was accepted";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("q [8, 64, 8] needs 16384 bytes, over this device's "
                                         "maxStorageBufferBindingSize 4096"),
              std::string::npos)
        << e.what();
  }
  const auto after = small_binding_ctx().object_counts();
  EXPECT_EQ(after.pipelines, before.pipelines);
  EXPECT_EQ(after.buffers, before.buffers);
  EXPECT_EQ(after.command_encoders, before.command_encoders);
  // A cache over maxBufferSize, however absurd its size, is a device limit, not a crash.
  EXPECT_THROW(Sdpa(ctx()).validate(1, 8, 0, {4294967295u, 65536, 65536}), UnsupportedError);
  // Three-pass: the score matrix is the limit.
  EXPECT_THROW(Sdpa(small_binding_ctx()).validate(16, 4, 8, {64, 2, 4}, with(Algorithm::ThreePassCoalesced)),
               UnsupportedError);
}

// Every pass's grid against maxComputeWorkgroupsPerDimension (65535 on WebGPU's defaults): validate() and
// Auto knew nothing of it, so a call Recorder::dispatch refuses passed validate() (split-kv with 65536 kv
// heads; three-pass with 65536 q heads) and Auto picked it.
TEST(Validate, KnowsTheGridLimitPerDimension) {
  const uint32_t limit = ctx().adapter().limits.max_compute_workgroups_per_dimension;
  ASSERT_GT(limit, 0u);
  if (limit >= 65535u * 2) GTEST_SKIP() << "the device allows " << limit << " workgroups per grid dimension";
  const uint32_t over = limit + 1;
  const auto message = [](const Call& call) {
    try {
      Sdpa(ctx()).validate(call.S, call.Hq, call.pos, call.cache, call.opt);
    } catch (const UnsupportedError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  // kv heads over the limit: no algorithm's grid fits.
  for (Algorithm a : {Algorithm::Auto, Algorithm::SplitKvDecode, Algorithm::FlashPrefill, Algorithm::FlashPrefillTiled,
                      Algorithm::ThreePassCoalesced}) {
    const Call call{1, over, 0, {1, over, 4}, with(a)};
    EXPECT_EQ(validate_outcome(ctx(), call), 2) << to_string(a);
    EXPECT_EQ(forward_outcome(ctx(), call), 2) << to_string(a);
    const std::string m = message(call);
    // three-pass names its q heads (as many here), the others their kv heads.
    const char* what = a == Algorithm::ThreePassCoalesced ? " q heads" : " kv heads";
    EXPECT_NE(m.find(std::to_string(over) + what + " (workgroups along one grid dimension) exceed this device's "
                                                   "maxComputeWorkgroupsPerDimension " + std::to_string(limit)),
              std::string::npos)
        << to_string(a) << ": " << m;
  }
  // q heads over the limit with one kv head: three-pass's grids hold a q head per workgroup row; Auto runs
  // flash-prefill (65536 rows in row blocks), and what validate() accepts forward() runs.
  const Call three{1, over, 0, {1, 1, 4}, with(Algorithm::ThreePassCoalesced)};
  EXPECT_EQ(validate_outcome(ctx(), three), 2);
  EXPECT_EQ(forward_outcome(ctx(), three), 2);
  EXPECT_NE(message(three).find(std::to_string(over) + " q heads"), std::string::npos) << message(three);
  const Call autod{1, over, 0, {1, 1, 4}, with(Algorithm::Auto)};
  EXPECT_EQ(validate_outcome(ctx(), autod), 0);
  EXPECT_EQ(forward_outcome(ctx(), autod), 0);
}
