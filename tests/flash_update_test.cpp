// flash-prefill's fused cache update (FUSED_UPDATE, calls whose keys are all their own: input_pos 0):
// its pass writes k_new / v_new into the cache and takes every key from k_new / v_new, with no update
// pass before it. Each case with the update fused and separate ($WEBATTN_FLASH_UPDATE), output and the
// whole cache against float64 (expect_case_passes compares every cache position after the call, the
// ones past the prompt random and untouched): prompts not a multiple of the tile, both cache dtypes,
// f16 activations (the keys rounded as the cache stores them), a sliding window, non-causal rows, a mask
// with sinks and the LSE, a split context (the update in its first pass), 128- and 256-thread workgroups
// (32-, 64- and 128-row tiles), D 64.
// Where a call reaches cached keys (input_pos > 0) the fused update is refused when forced (by validate()
// too; Auto then takes another algorithm).
#include <gtest/gtest.h>

#include <string>

#include "gpu/device.hpp"
#include "host_call.hpp"
#include "internal.hpp"
#include "test_context.hpp"
#include "webattn/verify.hpp"
#include "webattn/webattn.hpp"

using namespace webattn;
using webattn::testing::expect_case_passes;
using webattn::testing::ScopedEnv;

namespace {

struct UpdateCase {
  verify::Case c;
  DType cache = DType::F32;
  const char* chunks = "";     // $WEBATTN_FLASH_CHUNKS ("" = the rule)
  const char* threads_x = "";  // $WEBATTN_FLASH_THREADS_X
  const char* threads = "";    // $WEBATTN_FLASH_THREADS (these short prompts take 128 by the rule)
};

std::vector<UpdateCase> update_cases() {
  std::vector<UpdateCase> v;
  v.push_back({{37, 8, 2, 16, 0, 50}});  // 3 tiles, padding rows, cache positions past the prompt
  v.push_back({{37, 8, 2, 16, 0, 50}, DType::F16});
  verify::Case act{21, 4, 2, 16, 0, 60};
  act.act = {DType::F16, DType::F16, DType::F16, DType::F16};
  v.push_back({act, DType::F16});
  verify::Case mixed{15, 4, 2, 16, 0, 40};
  mixed.act = {DType::F32, DType::F16, DType::F32, DType::F32};  // k_new f16, v_new f32
  v.push_back({mixed, DType::F16});
  verify::Case w{40, 4, 2, 16, 0, 110};
  w.window_left = 23;
  v.push_back({w});
  verify::Case nc{12, 4, 1, 16, 0, 40};
  nc.causal = false;  // every row sees every key
  v.push_back({nc, DType::F16});
  v.push_back({{150, 4, 2, 16, 0, 180}, DType::F32, "3"});  // split: the update in the first pass
  v.push_back({{150, 4, 2, 16, 0, 180}, DType::F16, "3"});
  v.push_back({{70, 8, 2, 16, 0, 80}, DType::F16, "", "8"});  // 8 lanes per row group: the tile unpacked at load
  v.push_back({{70, 8, 2, 16, 0, 80}, DType::F16, "", "8", "256"});  // 128-row tiles
  v.push_back({{70, 8, 2, 16, 0, 100}, DType::F32, "", "8", "256"});
  v.push_back({{37, 8, 2, 16, 0, 50}, DType::F16, "", "16", "256"});  // 64-row tiles
  v.push_back({{20, 4, 2, 64, 0, 40}, DType::F16});
  return v;
}

// Storage buffers of the fused pass with a mask, sinks and the LSE (q, K, V, out, the three, k_new, v_new).
constexpr uint32_t kMaskedFusedStorage = 9;

TEST(FlashPrefillUpdate, FusedAndSeparateMatchTheReference) {
  Context& ctx = webattn::testing::test_context();
  const uint32_t per_stage = gpu_device(ctx).limits().max_storage_buffers_per_shader_stage;
  for (const char* mode : {"fused", "separate"}) {
    ScopedEnv env("WEBATTN_FLASH_UPDATE", mode);
    SCOPED_TRACE(std::string("WEBATTN_FLASH_UPDATE=") + mode);
    uint32_t seed = 1810;
    for (const UpdateCase& u : update_cases()) {
      ScopedEnv chunks("WEBATTN_FLASH_CHUNKS", u.chunks);
      ScopedEnv tx("WEBATTN_FLASH_THREADS_X", u.threads_x);
      ScopedEnv threads("WEBATTN_FLASH_THREADS", u.threads);
      expect_case_passes(ctx, u.c, Algorithm::FlashPrefill, u.cache, ++seed);
    }
    verify::Case m{24, 4, 2, 16, 0, 110};
    m.mask = MaskKind::Bool;
    m.lse = true;
    m.sinks = {0.5f, -2.0f, 3.0f, 0.0f};
    if (std::string(mode) == "fused" && per_stage < kMaskedFusedStorage) {
      try {
        expect_case_passes(ctx, m, Algorithm::FlashPrefill, DType::F32, ++seed);
        ADD_FAILURE() << "a fused update over " << per_stage << " storage buffers per stage was accepted";
      } catch (const UnsupportedError& e) {
        EXPECT_NE(std::string(e.what()).find("WEBATTN_FLASH_UPDATE=fused"), std::string::npos) << e.what();
      }
    } else {
      expect_case_passes(ctx, m, Algorithm::FlashPrefill, DType::F32, ++seed);
    }
  }
}

// A call that reaches cached keys: the update stays its own pass by default; forced fused, refused.
TEST(FlashPrefillUpdate, CachedKeysKeepTheSeparateUpdate) {
  Context& ctx = webattn::testing::test_context();
  expect_case_passes(ctx, {29, 6, 3, 16, 45, 90}, Algorithm::FlashPrefill, DType::F16, 1830);
  ScopedEnv env("WEBATTN_FLASH_UPDATE", "fused");
  try {
    expect_case_passes(ctx, {29, 6, 3, 16, 45, 90}, Algorithm::FlashPrefill, DType::F32, 1831);
    ADD_FAILURE() << "a fused update at input_pos 45 was accepted";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("input_pos 0"), std::string::npos) << e.what();
  }
}

// Forced fused, validate() refuses flash-prefill where prepare() would (naming the switch), and Auto
// runs such a call with another algorithm, exactly; a bad value is refused by validate() too.
TEST(FlashPrefillUpdate, ValidateAndAutoFollowTheForcedSwitch) {
  Context& ctx = webattn::testing::test_context();
  Sdpa sdpa(ctx);
  const KVCacheConfig cache{90, 3, 16};
  SdpaOptions flash;
  flash.algorithm = Algorithm::FlashPrefill;
  ScopedEnv env("WEBATTN_FLASH_UPDATE", "fused");
  EXPECT_EQ(sdpa.validate(29, 6, 0, cache, flash), Algorithm::FlashPrefill) << "input_pos 0 fuses";
  try {
    sdpa.validate(29, 6, 45, cache, flash);
    ADD_FAILURE() << "validate() accepted a forced fused update at input_pos 45";
  } catch (const UnsupportedError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("WEBATTN_FLASH_UPDATE=fused"), std::string::npos) << what;
    EXPECT_NE(what.find("input_pos 0"), std::string::npos) << what;
  }
  EXPECT_NE(sdpa.validate(29, 6, 45, cache), Algorithm::FlashPrefill) << "Auto";
  expect_case_passes(ctx, {29, 6, 3, 16, 45, 90}, Algorithm::Auto, DType::F32, 1832);
  ScopedEnv bad("WEBATTN_FLASH_UPDATE", "merged");
  try {
    sdpa.validate(29, 6, 0, cache, flash);
    ADD_FAILURE() << "validate() accepted WEBATTN_FLASH_UPDATE=merged";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("WEBATTN_FLASH_UPDATE=merged"), std::string::npos) << e.what();
  }
}

// The fused update is one pass fewer: by default for a short prompt whose keys are all its own (a plan
// whose max_context is S), not where later steps reach cached keys (a plan up to the capacity).
TEST(FlashPrefillUpdate, FusedIsOnePassFewer) {
  Context& ctx = webattn::testing::test_context();
  Sdpa sdpa(ctx);
  const uint32_t S = 40, hq = 16, hkv = 4, d = 16;
  KVCache cache(ctx, {2048, hkv, d});
  Tensor q(ctx, {S, hq, d}), k(ctx, {S, hkv, d}), v(ctx, {S, hkv, d}), out(ctx, {S, hq, d});
  SdpaOptions opt;
  opt.algorithm = Algorithm::FlashPrefill;
  EXPECT_EQ(sdpa.plan(q, k, v, cache, out, opt).passes_per_step(), 3u)
      << "max_context the capacity: the update, flash-prefill over context chunks, their merge";
  opt.max_context = S;
  EXPECT_EQ(sdpa.plan(q, k, v, cache, out, opt).passes_per_step(), 1u) << "max_context S: input_pos 0";
  ScopedEnv env("WEBATTN_FLASH_UPDATE", "separate");
  EXPECT_EQ(sdpa.plan(q, k, v, cache, out, opt).passes_per_step(), 2u) << "forced separate";
}

TEST(FlashPrefillUpdate, AnInvalidValueIsRefused) {
  Context& ctx = webattn::testing::test_context();
  ScopedEnv env("WEBATTN_FLASH_UPDATE", "merged");
  try {
    expect_case_passes(ctx, {4, 2, 1, 8, 60, 80}, Algorithm::FlashPrefill, DType::F32, 3);
    ADD_FAILURE() << "WEBATTN_FLASH_UPDATE=merged was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("WEBATTN_FLASH_UPDATE=merged"), std::string::npos) << e.what();
  }
}

}  // namespace
