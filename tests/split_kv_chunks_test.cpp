// split-kv steps whose new rows straddle chunk edges, with the reduce workgroup sized to
// the chunk count (few chunks: small workgroups; many: up to 1024 lanes): against float64,
// the whole cache compared, windows, non-causal rows, both cache dtypes, and a cache bound
// as several windows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>

#include "attention/launch.hpp"
#include "host_call.hpp"
#include "test_context.hpp"
#include "webattn/verify.hpp"
#include "webattn/webattn.hpp"

using namespace webattn;
using webattn::testing::expect_case_passes;

namespace {

// The partial states are sized by the most chunks any context length of a call or plan can have;
// split_kv_most_chunks finds it by runs of equal chunk length instead of a walk over every length.
// Against that walk: the chunkings split-kv uses and random ones, short and long ranges.
TEST(SplitKvChunks, MostChunksEqualsTheWalkOverEveryLength) {
  const auto walk = [](uint32_t lo, uint32_t hi, uint32_t kvh, uint32_t target, uint32_t max_chunk, uint32_t min_chunk) {
    uint64_t most = 1;
    for (uint32_t len = std::max(lo, 1u); len <= hi; ++len) {
      const uint32_t c = attention::split_kv_chunk_len(len, kvh, target, max_chunk, min_chunk);
      most = std::max<uint64_t>(most, (len + c - 1) / c);
    }
    return most;
  };
  struct Cut {
    uint32_t target, max_chunk, min_chunk;
  };
  std::vector<Cut> cuts{{512, 256, 32}, {1024, 256, 32}, {256, 512, 64}, {128, 1024, 128}, {1, 256, 32}};
  std::mt19937 rng(1701);
  for (int i = 0; i < 12; ++i) {
    const uint32_t min_chunk = 32u << (rng() % 4);
    cuts.push_back({1 + static_cast<uint32_t>(rng() % 4096), min_chunk << (rng() % 4), min_chunk});
  }
  int checked = 0;
  for (const Cut& c : cuts)
    for (uint32_t kvh : {1u, 2u, 8u, 40u}) {
      for (const auto& [lo, hi] : std::vector<std::pair<uint32_t, uint32_t>>{
               {0, 1}, {1, 1}, {1, 200000}, {65530, 65537}, {4096, 4096}, {100, 99}}) {
        EXPECT_EQ(attention::split_kv_most_chunks(lo, hi, kvh, c.target, c.max_chunk, c.min_chunk),
                  walk(lo, hi, kvh, c.target, c.max_chunk, c.min_chunk))
            << "lo " << lo << " hi " << hi << " kv_heads " << kvh << " target " << c.target << " chunks "
            << c.min_chunk << ".." << c.max_chunk;
        ++checked;
      }
      const uint32_t lo = 1 + rng() % 150000, hi = lo + rng() % 50000;
      EXPECT_EQ(attention::split_kv_most_chunks(lo, hi, kvh, c.target, c.max_chunk, c.min_chunk),
                walk(lo, hi, kvh, c.target, c.max_chunk, c.min_chunk))
          << "lo " << lo << " hi " << hi << " kv_heads " << kvh << " target " << c.target;
    }
  EXPECT_EQ(checked, 17 * 4 * 6);
}

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
