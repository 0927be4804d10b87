// split-kv steps whose new rows straddle chunk edges, with the reduce workgroup sized to
// the chunk count (few chunks: small workgroups; many: up to 1024 lanes): against float64,
// the whole cache compared, windows, non-causal rows, both cache dtypes, and a cache bound
// as several windows.
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

// One head dim and few row counts: each (rows, head dim, dtype) is a pipeline that
// lavapipe compiles for seconds.
TEST(SplitKvChunks, NewRowsAcrossChunkEdgesMatchTheReference) {
  Context& ctx = webattn::testing::test_context();
  std::vector<verify::Case> cases;
  // Default tuning on small contexts gives 32-key chunks: input_pos 30 with S = 4 puts
  // the new rows in two chunks; 1000 + 1 a decode step over many chunks (a 1024-lane reduce).
  cases.push_back({1, 8, 2, 16, 1000, 1010});
  cases.push_back({4, 6, 3, 16, 30, 40});
  cases.push_back({2, 7, 1, 16, 62, 70});  // MQA, S*g = 14
  cases.push_back({2, 6, 3, 16, 0, 2});    // the first step: only new rows, one chunk
  verify::Case w{4, 8, 4, 16, 90, 100};
  w.window_left = 17;  // window edge inside a chunk
  cases.push_back(w);
  verify::Case nc{4, 4, 2, 16, 37, 50};
  nc.causal = false;
  cases.push_back(nc);
  uint32_t seed = 5;
  for (const verify::Case& c : cases) expect_case_passes(ctx, c, Algorithm::SplitKvDecode, DType::F32, ++seed);
  expect_case_passes(ctx, cases[1], Algorithm::SplitKvDecode, DType::F16, ++seed);
  // Caches bound as several windows (4 KiB bindings).
  expect_case_passes(webattn::testing::small_bindings_context(), {2, 4, 2, 16, 60, 70}, Algorithm::SplitKvDecode,
                     DType::F32, ++seed);
}

// The merge pass writes the cache update and takes the step's own keys from k_new / v_new
// (FUSED) wherever the device's storage-buffer limit allows; the separate cache update is the
// path for devices with fewer bindings. Both against float64 on the same cases: the first step
// (no cached key, so no chunk at all), new rows across chunk edges, a window of 1 (only the
// row's own key), a mask that hides the step's own key, both dtypes, windows of bindings.
TEST(SplitKvChunks, FusedAndSeparateCacheUpdatesMatchTheReference) {
  Context& ctx = webattn::testing::test_context();
  std::vector<verify::Case> cases;
  cases.push_back({1, 8, 2, 16, 0, 4});      // decode at input_pos 0: every key is the new one
  cases.push_back({4, 6, 3, 16, 30, 40});    // new rows in two chunks
  verify::Case w1{3, 4, 2, 16, 20, 30};
  w1.window_left = 1;                        // each row sees only its own (new) key
  cases.push_back(w1);
  verify::Case nc{2, 4, 4, 16, 9, 20};
  nc.causal = false;                         // every row sees every new key
  cases.push_back(nc);
  verify::Case m{2, 4, 2, 16, 12, 20};
  m.mask = MaskKind::Bool;                   // may hide a row's own new key, or empty a row
  m.lse = true;
  m.sinks = {0.5f, -2.0f, 3.0f, 0.0f};
  cases.push_back(m);
  verify::Case am{1, 4, 2, 16, 25, 30};
  am.mask = MaskKind::Additive;
  am.alibi = true;
  am.softcap = 20;
  am.lse = true;
  cases.push_back(am);
  // Context 4097 with 8 kv heads: 65 chunks of 64 keys, but the fused span (4096 keys) is
  // 128 chunks of 32: the partial states must be reserved for the span's count.
  cases.push_back({1, 8, 8, 16, 4096, 4097});
  for (const char* mode : {"fused", "separate"}) {
    if (std::string(mode) == "separate") setenv("WEBATTN_SPLIT_KV_UPDATE", "separate", 1);
    uint32_t seed = 40;
    for (const verify::Case& c : cases) {
      SCOPED_TRACE(mode);
      expect_case_passes(ctx, c, Algorithm::SplitKvDecode, DType::F32, ++seed);
      expect_case_passes(ctx, c, Algorithm::SplitKvDecode, DType::F16, ++seed);
    }
    expect_case_passes(webattn::testing::small_bindings_context(), {1, 4, 2, 16, 60, 70}, Algorithm::SplitKvDecode,
                       DType::F16, ++seed);
    unsetenv("WEBATTN_SPLIT_KV_UPDATE");
  }
}

}  // namespace
