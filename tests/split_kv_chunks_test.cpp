// split-kv steps whose new rows straddle chunk edges, with the reduce workgroup sized to
// the chunk count (few chunks: small workgroups; many: up to 1024 lanes): against float64,
// the whole cache compared, windows, non-causal rows, both cache dtypes, and a cache bound
// as several windows.
#include <gtest/gtest.h>

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

}  // namespace
