// flash-prefill with the context split into chunks (FlashDecoding's split for short prompts),
// the partial states merged by split_kv_reduce: every chunk count against float64 on the cases
// of the workgroup-size test ($WEBATTN_FLASH_CHUNKS forces the count; 1 is the one-pass kernel):
// several row blocks per kv head, chunked prefill (input_pos > 0, chunks of the cached keys), a
// sliding window (chunks left of a row's window are empty for it), a mask with LSE and sinks
// (rows the mask empties in some chunks or all), ALiBi with soft-cap, non-causal rows, both
// cache dtypes, f16 activations. And the planner's rule: short prompts split, long ones do not.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "host_call.hpp"
#include "test_context.hpp"
#include "webattn/verify.hpp"
#include "webattn/webattn.hpp"

using namespace webattn;
using webattn::testing::expect_case_passes;

namespace {

std::vector<verify::Case> split_cases() {
  std::vector<verify::Case> cases;
  cases.push_back({70, 8, 2, 16, 0, 80});    // 280 packed rows per kv head, keys in 2 tiles
  cases.push_back({33, 6, 3, 16, 141, 180});  // chunked: most keys from the cache, 4 tiles
  verify::Case w{40, 4, 2, 16, 60, 110};
  w.window_left = 23;                        // the window's left edge inside key tiles
  cases.push_back(w);
  verify::Case m{24, 4, 2, 16, 75, 110};
  m.mask = MaskKind::Bool;                   // empty rows, hidden keys, chunks a row sees nothing in
  m.lse = true;
  m.sinks = {0.5f, -2.0f, 3.0f, 0.0f};
  cases.push_back(m);
  verify::Case a{20, 4, 1, 16, 83, 110};
  a.alibi = true;
  a.softcap = 20;
  a.causal = false;
  a.lse = true;
  cases.push_back(a);
  verify::Case h{18, 4, 2, 16, 97, 130};
  h.act = {DType::F16, DType::F16, DType::F16, DType::F16};
  cases.push_back(h);
  return cases;
}

TEST(FlashPrefillSplit, EveryChunkCountMatchesTheReference) {
  Context& ctx = webattn::testing::test_context();
  const std::vector<verify::Case> cases = split_cases();
  for (const char* chunks : {"1", "2", "3", "7"}) {
    SCOPED_TRACE(std::string("chunks ") + chunks);
    setenv("WEBATTN_FLASH_CHUNKS", chunks, 1);
    uint32_t seed = 170;
    for (const verify::Case& c : cases) expect_case_passes(ctx, c, Algorithm::FlashPrefill, DType::F32, ++seed);
    expect_case_passes(ctx, cases[1], Algorithm::FlashPrefill, DType::F16, ++seed);
    expect_case_passes(ctx, cases[3], Algorithm::FlashPrefill, DType::F16, ++seed);
    unsetenv("WEBATTN_FLASH_CHUNKS");
  }
}

// The chunks follow input_pos (their length grows with the span); plan_test runs one plan
// through positions (its scratch sized for the longest).
TEST(FlashPrefillSplit, EveryInputPosSplitsItsContext) {
  Context& ctx = webattn::testing::test_context();
  setenv("WEBATTN_FLASH_CHUNKS", "5", 1);
  uint32_t seed = 190;
  for (uint32_t pos : {0u, 7u, 60u, 150u}) {
    SCOPED_TRACE("input_pos " + std::to_string(pos));
    expect_case_passes(ctx, {10, 4, 2, 16, pos, 170}, Algorithm::FlashPrefill, DType::F32, ++seed);
  }
  unsetenv("WEBATTN_FLASH_CHUNKS");
}

// The rule: a prompt whose row blocks give few workgroups splits its context (3 passes: the
// cache update, flash-prefill, the merge); one with many does not (2 passes).
TEST(FlashPrefillSplit, ShortPromptsSplitLongOnesDoNot) {
  Context& ctx = webattn::testing::test_context();
  Sdpa sdpa(ctx);
  SdpaOptions opt;
  opt.algorithm = Algorithm::FlashPrefill;
  const uint32_t hq = 16, hkv = 4, d = 16, cap = 2048;
  KVCache cache(ctx, {cap, hkv, d});
  const auto passes = [&](uint32_t S) {
    Tensor q(ctx, {S, hq, d}), k(ctx, {S, hkv, d}), v(ctx, {S, hkv, d}), out(ctx, {S, hq, d});
    return sdpa.plan(q, k, v, cache, out, opt).passes_per_step();
  };
  EXPECT_EQ(passes(40), 3u) << "160 packed rows per kv head: 5 row blocks (32 rows) x 4 kv heads";
  EXPECT_EQ(passes(2000), 2u) << "8000 packed rows per kv head: 125 row blocks (64 rows) x 4 kv heads";
}

TEST(FlashPrefillSplit, AnInvalidChunkCountIsRefused) {
  Context& ctx = webattn::testing::test_context();
  for (const char* bad : {"0", "65", "two", " 3", "+3", "3 "}) {
    setenv("WEBATTN_FLASH_CHUNKS", bad, 1);
    try {
      expect_case_passes(ctx, {4, 2, 1, 8, 60, 80}, Algorithm::FlashPrefill, DType::F32, 3);
      ADD_FAILURE() << "WEBATTN_FLASH_CHUNKS='" << bad << "' was accepted";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("WEBATTN_FLASH_CHUNKS=") + bad), std::string::npos) << e.what();
    }
  }
  // Empty is unset, as for every switch.
  setenv("WEBATTN_FLASH_CHUNKS", "", 1);
  expect_case_passes(ctx, {4, 2, 1, 8, 60, 80}, Algorithm::FlashPrefill, DType::F32, 3);
  unsetenv("WEBATTN_FLASH_CHUNKS");
}

}  // namespace
