// What issue 10 (item 7) tried that already passed, kept passing: chunked prefill at offsets
// around tile and chunk sizes, head dims from 4 to 516 (computed or cleanly refused), GQA
// ratios 3/5/7 and MQA, split-kv at exactly its row limit, updates filling the last cache
// slots, positions near 2^32, and f16 packing past the f16 range and of subnormals.
// (KV length 1 and odd contexts are in attention_test's NamedEdgeShapes.)
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <tuple>

#include "host_call.hpp"
#include "webattn/verify.hpp"

using namespace webattn;
using namespace webattn::testing;
using verify::Case;

namespace {

Context& ctx() { return test_context(); }

// The error forward() throws for this case and algorithm ("" if it computes).
std::string refusal(const Case& c, Algorithm algo) {
  KVCache cache(ctx(), {c.capacity, c.Hkv, c.D});
  Tensor q(ctx(), {c.S, c.Hq, c.D}), k(ctx(), {c.S, c.Hkv, c.D}), v(ctx(), {c.S, c.Hkv, c.D});
  Tensor out(ctx(), {c.S, c.Hq, c.D});
  SdpaOptions opt;
  opt.algorithm = algo;
  try {
    Sdpa(ctx()).forward(q, k, v, cache, c.input_pos, out, opt);
  } catch (const UnsupportedError& e) {
    return e.what();
  } catch (const ShapeError& e) {
    return e.what();
  }
  return "";
}

// Runs the case if `algo` supports it (it must then match the reference with the cache exact),
// else forward() must refuse it with UnsupportedError/ShapeError naming the head dim or rows.
void expect_computed_or_refused(const Case& c, Algorithm algo, DType dtype, uint32_t seed) {
  SCOPED_TRACE(std::string(to_string(algo)) + " " + to_string(dtype) + " " + c.str());
  if (!verify::supported(ctx(), c, algo)) {
    const std::string why = refusal(c, algo);
    EXPECT_FALSE(why.empty()) << "verify::supported says no, forward() computed it";
    const std::string rows = std::to_string(c.S * (c.Hq / c.Hkv)) + " ";
    EXPECT_TRUE(why.find("head_dim " + std::to_string(c.D)) != std::string::npos ||
                why.find(rows) != std::string::npos)
        << "the refusal names neither the head dim nor the rows: " << why;
    return;
  }
  const verify::Result r = verify::run_case(ctx(), c, algo, dtype, seed);
  if (algo != Algorithm::Auto) {
    EXPECT_EQ(r.ran, algo);
  }
  EXPECT_TRUE(r.passed()) << to_string(r.ran) << ": max_abs " << r.cmp.max_abs << ", rel_l2 " << r.cmp.rel_l2
                          << ", non-finite " << r.cmp.nonfinite << ", cache exact " << r.cache_exact;
}

}  // namespace

// Chunks of 5 tokens starting at 59..65 and 123..128: the chunk straddles the 64- and
// 128-row/key tiles and split-kv's 32-key tiles; contexts 64..133 are mostly not multiples
// of any tile. The cache ends 3 slots after the chunk (past-context slots must stay untouched).
TEST(EdgeShapes, ChunkedPrefillAtOffsetsAroundTileSizes) {
  std::vector<uint32_t> offsets;
  for (uint32_t p = 59; p <= 65; ++p) offsets.push_back(p);
  for (uint32_t p = 123; p <= 128; ++p) offsets.push_back(p);
  for (DType dtype : {DType::F32, DType::F16})
    for (Algorithm algo : all_algorithms())
      for (uint32_t pos : offsets) expect_computed_or_refused({5, 4, 2, 8, pos, pos + 8}, algo, dtype, pos);
}

// Updates that fill the cache to its last slot: a decode step and a chunk.
TEST(EdgeShapes, UpdatesFillingTheLastCacheSlots) {
  for (DType dtype : {DType::F32, DType::F16})
    for (Algorithm algo : algorithms_and_auto())
      for (const Case& c : {Case{1, 4, 2, 8, 15, 16}, Case{7, 4, 2, 8, 9, 16}, Case{16, 4, 2, 8, 0, 16}})
        expect_computed_or_refused(c, algo, dtype, 61);
}

// Head dims around the kernels' limits: each algorithm computes or refuses each, and Auto
// always computes. fp32 only (the f16 cache reads through the same kernels). The fused
// kernels are one shader variant per head dim, which lavapipe compiles in 10-70 s each, so
// by default they compute only D = 4, 12, 132 and 256 (fewest lanes, odd vec4 counts on
// either side of a 32-lane multiple, flash's lavapipe limit) and are otherwise only checked
// to refuse cleanly or be supported; WEBATTN_TEST_ALL_HEAD_DIMS=1 computes every head dim.
TEST(EdgeShapes, HeadDimsAreComputedOrCleanlyRefused) {
  const bool all = std::getenv("WEBATTN_TEST_ALL_HEAD_DIMS") != nullptr;
  const std::set<uint32_t> fused_computed = {4, 12, 132, 256};
  for (uint32_t D : {4u, 12u, 20u, 36u, 72u, 100u, 132u, 256u, 260u, 512u, 516u})
    for (Algorithm algo : algorithms_and_auto()) {
      const Case c{2, 2, 1, D, 5, 9};
      const bool three_pass = algo == Algorithm::ThreePassStrided || algo == Algorithm::ThreePassCoalesced;
      if (algo == Algorithm::Auto || three_pass) {
        EXPECT_TRUE(verify::supported(ctx(), c, algo)) << to_string(algo) << " D=" << D;
      }
      if (all || three_pass || fused_computed.count(D) || !verify::supported(ctx(), c, algo))
        expect_computed_or_refused(c, algo, DType::F32, D);
    }
}

// GQA groups of 3, 5 and 7 query heads per kv head, and MQA with 32 query heads, in decode
// and in a chunk (split-kv refuses chunks over its 32 rows per kv head).
TEST(EdgeShapes, GroupedQueryRatiosAndMultiQuery) {
  for (DType dtype : {DType::F32, DType::F16})
    for (Algorithm algo : algorithms_and_auto())
      for (auto [Hq, Hkv] : {std::pair<uint32_t, uint32_t>{6, 2}, {10, 2}, {7, 1}, {32, 1}})
        for (auto [S, pos] : {std::pair<uint32_t, uint32_t>{1, 40}, {9, 20}})
          expect_computed_or_refused({S, Hq, Hkv, 8, pos, pos + S + 2}, algo, dtype, Hq + S);
}

// split-kv serves up to 32 query rows per kv head: exactly 32 computes (S=4 x g=8 and
// S=32 x g=1); 33 is refused naming the 33 rows and the limit.
TEST(EdgeShapes, SplitKvAtExactlyItsRowLimit) {
  for (DType dtype : {DType::F32, DType::F16}) {
    for (const Case& c : {Case{4, 16, 2, 8, 30, 34}, Case{32, 2, 2, 8, 3, 35}}) {
      ASSERT_TRUE(verify::supported(ctx(), c, Algorithm::SplitKvDecode)) << c.str();
      expect_computed_or_refused(c, Algorithm::SplitKvDecode, dtype, 62);
    }
  }
  const std::string why = refusal({33, 2, 2, 8, 0, 33}, Algorithm::SplitKvDecode);
  EXPECT_NE(why.find("33 query rows"), std::string::npos) << why;
  EXPECT_NE(why.find("32"), std::string::npos) << why;
}

// input_pos near 2^32: input_pos + S must not wrap around to a small position that fits.
// forward, a plan and a standalone update all refuse it with a ShapeError naming the values.
TEST(EdgeShapes, PositionsNearTwoToThe32AreRefused) {
  KVCache cache(ctx(), {16, 2, 8});
  Tensor q(ctx(), {3, 4, 8}), k(ctx(), {3, 2, 8}), v(ctx(), {3, 2, 8}), out(ctx(), {3, 4, 8});
  Sdpa sdpa(ctx());
  const uint32_t max = std::numeric_limits<uint32_t>::max();
  auto expect_refused = [](const std::function<void()>& f, const std::string& what) {
    try {
      f();
      ADD_FAILURE() << "no error: " << what;
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  for (uint32_t pos : {max, max - 1, max - 2}) {  // pos + 3 wraps to 2, 1, 0
    const std::string named = "input_pos " + std::to_string(pos) + " + S 3 exceeds";
    expect_refused([&] { sdpa.forward(q, k, v, cache, pos, out); }, named);
    expect_refused([&] { cache.update(k, v, pos); }, named);
  }
  SdpaPlan plan = sdpa.plan(q, k, v, cache, out);
  expect_refused([&] { plan.run(max - 1); }, "input_pos " + std::to_string(max - 1) + " + S 3 exceeds");
}

// An f16 cache stores IEEE halves, rounded to nearest even: values past 65504 (from 65520
// on) become Inf, tiny values become subnormals or (signed) zero. Expected bits worked out by
// hand, not by the library's converter.
TEST(EdgeShapes, F16PackingPastTheRangeAndOfSubnormals) {
  const float inf = std::numeric_limits<float>::infinity();
  const float sub = std::ldexp(1.f, -24);  // the smallest half subnormal
  const std::vector<std::pair<float, float>> cases = {
      {65504.f, 65504.f},                                  // largest half
      {65519.f, 65504.f},                                  // below the half-way point 65520
      {65520.f, inf},                                      // half-way: rounds to even = overflow
      {1e5f, inf},                                         // past the range
      {-3e38f, -inf},                                      //
      {inf, inf},                                          //
      {std::ldexp(1.f, -14), std::ldexp(1.f, -14)},        // smallest normal half
      {sub, sub},                                          //
      {std::ldexp(1.f, -25), 0.f},                         // half of the smallest: ties to even 0
      {3 * std::ldexp(1.f, -25), 2 * sub},                 // 1.5 subnormals: ties to even 2
      {1e-6f, 17 * sub},                                   // 16.78 subnormals
      {-1e-8f, -0.f},                                      // underflow keeps the sign
      {1.f + std::ldexp(1.f, -11), 1.f},                   // half an f16 ulp above 1: to even
      {1.f + 3 * std::ldexp(1.f, -11), 1.f + std::ldexp(1.f, -9)},  // 1.5 ulps: to even
      {-2.5f, -2.5f},                                      //
      {std::ldexp(1.f, -15) + std::ldexp(1.f, -25), std::ldexp(1.f, -15)},  // subnormal 512.5 -> 512
  };
  const uint32_t D = 16;
  std::vector<float> in(D), want(D);
  for (uint32_t i = 0; i < D; ++i) std::tie(in[i], want[i]) = cases[i];
  KVCache cache(ctx(), {4, 1, D, DType::F16});
  std::vector<float> rev(in.rbegin(), in.rend());
  cache.update(Tensor::from(ctx(), {1, 1, D}, in), Tensor::from(ctx(), {1, 1, D}, rev), 2);
  const auto keys = cache.download_keys(), values = cache.download_values();
  for (uint32_t i = 0; i < D; ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(keys[2 * D + i]), std::bit_cast<uint32_t>(want[i]))
        << "K: " << in[i] << " stored as " << keys[2 * D + i] << ", expected " << want[i];
    EXPECT_EQ(std::bit_cast<uint32_t>(values[2 * D + D - 1 - i]), std::bit_cast<uint32_t>(want[i]))
        << "V: " << in[i] << " stored as " << values[2 * D + D - 1 - i] << ", expected " << want[i];
  }
  // NaN stays NaN
  cache.update(Tensor::from(ctx(), {1, 1, D}, std::vector<float>(D, NAN)), Tensor::from(ctx(), {1, 1, D}, in), 3);
  for (uint32_t i = 0; i < D; ++i) EXPECT_TRUE(std::isnan(cache.download_keys()[3 * D + i]));
}

// Attention over an f16 cache holding values the packing changes: V of 7e4 (stored as Inf)
// at a token later rows see, and V of ~1e-6 (stored as subnormals) elsewhere. Rows that see
// the Inf are non-finite in its dimension; every other element matches the reference on the
// stored values (relative to the tiny outputs of the subnormal head).
TEST(EdgeShapes, AttentionOverF16ValuesPackedToInfAndSubnormals) {
  for (Algorithm algo : algorithms_and_auto()) {
    SCOPED_TRACE(to_string(algo));
    HostCall call = random_call({3, 4, 2, 8, 5, true, 0}, 16, DType::F16, 63);
    call.value(7, 0, 4) = 7e4f;  // only row 2 sees position 7
    for (uint32_t pos = 0; pos < 16; ++pos)
      for (uint32_t d = 0; d < 8; ++d) call.value(pos, 1, d) *= 1e-6f;
    const CallResult r = run_forward(ctx(), call, algo);
    const ElementCheck e = check_elements(r.out, r.ref, 2e-6);
    EXPECT_EQ(e.ref_nonfinite, 2u);  // row 2, heads 0-1, dim 4
    EXPECT_TRUE(matches_reference(r.out, r.ref));
    // heads 2-3 read the subnormal values: outputs ~1e-6, so compare relatively
    std::vector<float> got;
    std::vector<double> ref;
    for (uint32_t s = 0; s < 3; ++s)
      for (uint32_t h = 2; h < 4; ++h)
        for (uint32_t d = 0; d < 8; ++d) {
          got.push_back(r.out[call.q_index(s, h, d)]);
          ref.push_back(r.ref[call.q_index(s, h, d)]);
        }
    EXPECT_LE(reference::compare(got, ref).rel_l2, 1e-6);
  }
}
