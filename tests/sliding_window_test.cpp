// Sliding-window attention (SdpaOptions::window_left = W): the query at absolute position p
// sees keys p-W+1 .. p (causal) or p-W+1 .. context-1 (not causal). Checked against the
// float64 reference (itself checked against a windowless reference over a slice of the
// cache), with NaN/Inf left of the window that must not reach a row, through one-off calls
// and plans; three-pass refuses a window and Auto routes around it.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <tuple>

#include "host_call.hpp"
#include "webattn/verify.hpp"

using namespace webattn;
using namespace webattn::testing;

namespace {

Context& ctx() { return test_context(); }


// First key the row at absolute position `pos` sees under window w.
uint32_t window_start(uint32_t pos, uint32_t w) { return pos + 1 > w ? pos + 1 - w : 0; }

}  // namespace

// The reference's window is the windowless reference over the keys inside it: a decode row
// at position P with window W equals a call at input_pos W-1 over the cache rows P-W+1 .. P.
TEST(SlidingWindowReference, DecodeEqualsWindowlessOverTheSlice) {
  for (uint32_t w : {1u, 5u, 33u}) {
    const uint32_t P = 40, Hkv = 2, D = 8;
    HostCall c = random_call({1, 4, Hkv, D, P, true, 0, w}, P + 1, DType::F32, 3);
    const CallResult full = expected_of(c);
    const size_t row = size_t{Hkv} * D, first = window_start(P, w);
    std::vector<float> ks(full.k_expected.begin() + first * row, full.k_expected.begin() + (P + 1) * row);
    std::vector<float> vs(full.v_expected.begin() + first * row, full.v_expected.begin() + (P + 1) * row);
    const auto sliced = reference::attention(c.q, ks, vs, {1, 4, Hkv, D, P - static_cast<uint32_t>(first), true, 0});
    ASSERT_EQ(full.ref.size(), sliced.size());
    for (size_t i = 0; i < sliced.size(); ++i) EXPECT_DOUBLE_EQ(full.ref[i], sliced[i]) << "w=" << w << " i=" << i;
  }
}

// Random calls through verify (output poisoned, whole cache compared) with windows just
// below, at and above flash's 64-key tiles and split-kv's 32-key tiles and chunk edges.
TEST(SlidingWindow, MatchesReferenceAroundTileAndChunkEdges) {
  struct Shape {
    uint32_t S, Hq, Hkv, D, pos;
    bool causal;
  };
  const Shape shapes[] = {
      {1, 4, 2, 8, 300, true},    // decode: split-kv (Auto), chunks start at the window
      {3, 4, 2, 8, 197, true},    // a short speculative step: rows' windows start apart
      {70, 4, 2, 8, 60, true},    // chunked prefill across two flash tiles
      {5, 2, 1, 8, 130, false},   // non-causal: each row's window still starts at p-W+1
  };
  uint32_t seed = 1;
  for (const Shape& s : shapes)
    for (uint32_t w : {1u, 31u, 32u, 33u, 63u, 64u, 65u, 129u, 257u, 1000u})
      for (Algorithm algo : algorithms_and_auto())
        for (DType dtype : {DType::F32, DType::F16}) {
          verify::Case c{s.S, s.Hq, s.Hkv, s.D, s.pos, s.pos + s.S + 3, s.causal};
          c.window_left = w;
          if (!verify::supported(ctx(), c, algo)) continue;
          expect_case_passes(ctx(), c, algo, dtype, ++seed);
        }
}

// A cache over several bindings (4 KiB each: 64 f32 / 128 f16 rows of Hkv 1 x D 16): the
// windows' first keys fall in a later binding than the cache's first row.
TEST(SlidingWindow, CacheOverSeveralBindings) {
  uint32_t seed = 50;
  for (const auto& [S, pos, w] : {std::tuple{1u, 150u, 70u}, std::tuple{1u, 170u, 33u}, std::tuple{30u, 140u, 65u}})
    for (Algorithm algo : algorithms_and_auto())
      for (DType dtype : {DType::F32, DType::F16}) {
        verify::Case c{S, 2, 1, 16, pos, 180, true};  // 3 bindings of f32 rows: 180 of at most 192
        c.window_left = w;
        if (!verify::supported(small_bindings_context(), c, algo, dtype)) continue;
        expect_case_passes(small_bindings_context(), c, algo, dtype, ++seed);
      }
}

// NaN and +-Inf in K and V at every position left of the earliest row's window never reach a
// row; a bad value inside the window of later rows only reaches those (S=3, window 4: row 0
// at 20 sees 17..20, row 2 at 22 sees 19..22; position 18 is seen by rows 0 and 1 only).
TEST(SlidingWindow, NonFiniteValuesLeftOfTheWindowDoNotReachTheRow) {
  const uint32_t w = 4;
  for (bool causal : {true, false})
    for (DType dtype : {DType::F32, DType::F16})
      for (float bad : {kNaN, kInf, -kInf})
        for (Algorithm algo : algorithms_and_auto()) {
          const reference::CallSpec p{3, 4, 2, 8, 20, causal, 0, w};
          const verify::Case vc{p.seq_len, p.q_heads, p.kv_heads, p.head_dim, p.input_pos, 24, causal};
          verify::Case wc = vc;
          wc.window_left = w;
          if (!verify::supported(ctx(), wc, algo)) continue;
          SCOPED_TRACE(std::string(to_string(algo)) + " " + to_string(dtype) + " bad " + std::to_string(bad) +
                       (causal ? "" : " non-causal"));
          HostCall call = random_call(p, 24, dtype, 11);
          for (uint32_t pos = 0; pos < window_start(p.input_pos, w); ++pos)
            for (uint32_t h = 0; h < p.kv_heads; ++h)
              for (uint32_t d = 0; d < p.head_dim; ++d) call.key(pos, h, d) = call.value(pos, h, d) = bad;
          CallResult r = run_forward(ctx(), call, algo);
          EXPECT_EQ(check_elements(r.out, r.ref, 2e-6).ref_nonfinite, 0u) << "the reference reads left of the window";
          EXPECT_TRUE(matches_reference(r.out, r.ref)) << "bad values left of every window";

          call.value(18, 1, 3) = bad;  // inside rows 0-1's windows, left of row 2's
          r = run_forward(ctx(), call, algo);
          const ElementCheck e = check_elements(r.out, r.ref, 2e-6);
          EXPECT_EQ(e.ref_nonfinite, 2u * 2u) << "rows 0 and 1, the two heads of kv head 1, dim 3";
          EXPECT_TRUE(matches_reference(r.out, r.ref)) << "bad value at 18";
        }
}

// A plan carries the window: decode steps whose windows move past NaN rows written earlier.
TEST(SlidingWindowPlan, DecodeStepsMovePastNonFiniteRows) {
  const uint32_t w = 33, cap = 160;
  for (DType dtype : {DType::F32, DType::F16})
    for (Algorithm algo : {Algorithm::Auto, Algorithm::SplitKvDecode, Algorithm::FlashPrefill}) {
      SCOPED_TRACE(std::string(to_string(algo)) + " " + to_string(dtype));
      HostCall start = random_call({1, 4, 2, 8, 0, true, 0, w}, cap, dtype, 21);
      for (uint32_t pos = 0; pos < 40; ++pos)  // NaN in K and V at 0..39: left of every window below
        for (uint32_t h = 0; h < 2; ++h)
          for (uint32_t d = 0; d < 8; ++d)
            start.k_cache[start.kv_index(pos, h, d)] = start.v_cache[start.kv_index(pos, h, d)] = kNaN;
      PlanHarness plan(start, algo);
      size_t nonfinite = 0;
      for (uint32_t pos : {72u, 73u, 100u, 150u}) {
        EXPECT_TRUE(plan.step(pos, pos, kNoEdit, &nonfinite)) << "step at " << pos;
        EXPECT_EQ(nonfinite, 0u) << "the reference reads left of the window at " << pos;
      }
    }
}

// Three-pass cannot do a window: an explicit choice says so, Auto runs a fused kernel.
TEST(SlidingWindowPlanner, ThreePassRefusesAndAutoRoutesAround) {
  SdpaOptions opt;
  opt.window_left = 64;
  const KVCacheConfig cache{512, 2, 64, DType::F32};
  Sdpa sdpa(ctx());
  for (Algorithm a : {Algorithm::ThreePassCoalesced, Algorithm::ThreePassStrided}) {
    opt.algorithm = a;
    try {
      sdpa.validate(200, 4, 0, cache, opt);
      ADD_FAILURE() << to_string(a) << " accepted a window";
    } catch (const UnsupportedError& e) {
      EXPECT_NE(std::string(e.what()).find("window_left 64"), std::string::npos) << e.what();
    }
  }
  opt.algorithm = Algorithm::Auto;
  for (uint32_t s : {1u, 200u}) {
    const Algorithm chosen = sdpa.validate(s, 4, 0, cache, opt);
    EXPECT_TRUE(chosen == Algorithm::FlashPrefill || chosen == Algorithm::SplitKvDecode) << to_string(chosen);
  }
}
