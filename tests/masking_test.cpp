// Nothing a row cannot see may change it (issue 10, class 1): NaN and ±Inf in K, V and q at
// positions a row cannot see — causal-masked new tokens of the same call, cache rows past the
// context — leave that row equal to the float64 reference; rows that do see them come out
// non-finite. Every algorithm and Auto, both cache dtypes, one-off calls, plans and caches
// split over several bindings.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "host_call.hpp"
#include "webattn/verify.hpp"

using namespace webattn;
using namespace webattn::testing;

namespace {

Context& ctx() { return test_context(); }

const float kBadValues[] = {kNaN, kInf, -kInf};

using Edit = std::function<void(HostCall&, float bad)>;

// How many reference elements the edit must make non-finite: some, none, or either
// (a -Inf score is a weight of 0, so a bad key may leave the row finite).
enum class Reach { Some, None, Any };

// Runs `edit` with each bad value on a random call of shape `p`, every algorithm and Auto,
// both dtypes; every element must match the reference.
void expect_unseen_values_ignored(const reference::CallSpec& p, uint32_t capacity, const Edit& edit, Reach reach,
                                  Context& on = ctx()) {
  for (DType dtype : {DType::F32, DType::F16})
    for (float bad : kBadValues) {
      HostCall call = random_call(p, capacity, dtype, 100);
      edit(call, bad);
      for (Algorithm algo : algorithms_and_auto()) {
        const verify::Case vc{p.seq_len, p.q_heads, p.kv_heads, p.head_dim, p.input_pos, capacity, p.causal};
        if (!verify::supported(on, vc, algo)) continue;
        SCOPED_TRACE(std::string(to_string(algo)) + " " + to_string(dtype) + " bad value " + std::to_string(bad) +
                     " " + str(p));
        const CallResult r = run_forward(on, call, algo);
        const ElementCheck e = check_elements(r.out, r.ref, 2e-6);
        if (reach == Reach::Some) {
          ASSERT_GT(e.ref_nonfinite, 0u) << "the edit reaches no row: the test proves nothing";
        }
        if (reach == Reach::None) {
          ASSERT_EQ(e.ref_nonfinite, 0u) << "the edit reaches a row that should not see it";
        }
        EXPECT_TRUE(matches_reference(r.out, r.ref));
      }
    }
}

// S=3 new tokens at position 5 over a 16-slot cache (the shape of hard_inputs_test: no
// extra shader variants).
const reference::CallSpec kSmall{3, 4, 2, 8, 5, true, 0};
constexpr uint32_t kSmallCap = 16;

}  // namespace

// The issue's smallest input: S=2 at position 0, D=4; the second token's V holds +Inf (or
// NaN) in dimension 0. Row 0 sees only key 0, so out[0] = V[0] exactly.
TEST(Masking, IssueSmallestInfInTheSecondTokensValue) {
  const reference::CallSpec p{2, 1, 1, 4, 0, true, 0};
  expect_unseen_values_ignored(p, 2, [](HostCall& c, float bad) { c.v_new[c.kv_index(1, 0, 0)] = bad; },
                               Reach::Some);
}

// The last new token (position 7) is invisible to rows 0 and 1 of the call.
TEST(Masking, NonFiniteValueOfAFutureTokenReachesOnlyRowsThatSeeIt) {
  expect_unseen_values_ignored(kSmall, kSmallCap, [](HostCall& c, float bad) { c.value(7, 1, 5) = bad; },
                               Reach::Some);
}

TEST(Masking, NonFiniteKeyOfAFutureTokenReachesOnlyRowsThatSeeIt) {
  expect_unseen_values_ignored(kSmall, kSmallCap, [](HostCall& c, float bad) { c.key(7, 1, 5) = bad; },
                               Reach::Any);
}

// Cache rows past the context (positions 8..15) hold NaN/Inf in every element: no row sees them.
TEST(Masking, NonFiniteCacheRowsPastTheContextAreIgnored) {
  for (bool keys : {true, false}) {
    SCOPED_TRACE(keys ? "in K" : "in V");
    expect_unseen_values_ignored(kSmall, kSmallCap, [keys](HostCall& c, float bad) {
      auto& cache = keys ? c.k_cache : c.v_cache;
      for (size_t i = c.kv_index(kSmall.input_pos + kSmall.seq_len, 0, 0); i < cache.size(); ++i) cache[i] = bad;
    }, Reach::None);
  }
}

// Decode (S = 1) at D = 32 over 37 cached keys: on 8-wide subgroups (lavapipe) split-kv takes its
// subgroup form here (the shapes above, D = 4 and 8, take its tile form), and its last block ends
// past the context. The cache's rows from the step's own position on (that slot's old contents,
// which the update overwrites, and the rows past the context) hold NaN/Inf in every element; a
// bad element of a visible key's value reaches its heads.
const reference::CallSpec kDecode32{1, 8, 2, 32, 37, true, 0};
TEST(Masking, DecodeAtHeadDim32NonFiniteRowsFromTheStepOnAreIgnored) {
  for (bool keys : {true, false}) {
    SCOPED_TRACE(keys ? "in K" : "in V");
    expect_unseen_values_ignored(kDecode32, 48, [keys](HostCall& c, float bad) {
      auto& cache = keys ? c.k_cache : c.v_cache;
      for (size_t i = c.kv_index(kDecode32.input_pos, 0, 0); i < cache.size(); ++i) cache[i] = bad;
    }, Reach::None);
  }
}

TEST(Masking, DecodeAtHeadDim32NonFiniteVisibleValueReachesItsHeads) {
  expect_unseen_values_ignored(kDecode32, 48, [](HostCall& c, float bad) { c.value(17, 1, 21) = bad; }, Reach::Some);
}

// A bad query element reaches only its own (row, head).
TEST(Masking, NonFiniteQueryElementReachesOnlyItsOwnRow) {
  expect_unseen_values_ignored(kSmall, kSmallCap, [](HostCall& c, float bad) { c.q[c.q_index(1, 2, 3)] = bad; },
                               Reach::Some);
}

// A right-padded prefill: padding rows 5-7 hold NaN in V (every head, every dim).
// Rows 0-4 must be exact; the issue saw 160 (fused) / 32 (three-pass) NaN elements there.
TEST(Masking, RightPaddedPrefillWithNaNPadding) {
  const reference::CallSpec p{8, 4, 2, 8, 0, true, 0};
  expect_unseen_values_ignored(p, 8, [](HostCall& c, float bad) {
    for (uint32_t pos = 5; pos < 8; ++pos)
      for (uint32_t h = 0; h < 2; ++h)
        for (uint32_t d = 0; d < 8; ++d) c.value(pos, h, d) = bad;
  }, Reach::Some);
}

// Speculative verification: S=4 draft tokens at position 100, Hq=8, Hkv=2; the last draft
// token's V overflowed to Inf in kv head 1. Rows 0-2 must be exact in every head.
TEST(Masking, SpeculativeStepWithAnOverflowedLastDraftValue) {
  const reference::CallSpec p{4, 8, 2, 8, 100, true, 0};
  expect_unseen_values_ignored(p, 108, [](HostCall& c, float bad) {
    for (uint32_t d = 0; d < 8; ++d) c.value(103, 1, d) = bad;
  }, Reach::Some);
}


// Speculative decoding through a plan (S=4): the step at 100 has an Inf in the last draft
// token's V (kv head 1); two drafts are accepted, so the next step runs two tokens later,
// at 102, and overwrites the Inf slot (103): every row of it must be exact.
TEST(MaskingPlan, StepTwoTokensAfterOneWhoseValueHeldInf) {
  for (DType dtype : {DType::F32, DType::F16})
    for (Algorithm algo : algorithms_and_auto()) {
      SCOPED_TRACE(std::string(to_string(algo)) + " " + to_string(dtype));
      PlanHarness h(random_call({4, 8, 2, 8, 0, true, 0}, 112, dtype, 7), algo);
      size_t nonfinite = 0;
      EXPECT_TRUE(h.step(100, 1, [](HostCall& c) { for (uint32_t d = 0; d < 8; ++d) c.value(103, 1, d) = kInf; },
                         &nonfinite)) << "step at 100 (Inf at 103)";
      EXPECT_GT(nonfinite, 0u);
      EXPECT_TRUE(h.step(102, 2, kNoEdit, &nonfinite)) << "step at 102";
      EXPECT_EQ(nonfinite, 0u);
      EXPECT_TRUE(h.step(106, 3, kNoEdit, &nonfinite)) << "step at 106";
    }
}

// Decode through a plan: the step at 10 writes NaN into V (kv head 0, dim 2). Steps at 10 and
// 12 see it (heads 0-1, dim 2 non-finite, the rest exact); after a rollback to 8 the bad row
// lies past the context and nothing is affected.
TEST(MaskingPlan, DecodeStepsBeforeAndAfterANaNValue) {
  for (DType dtype : {DType::F32, DType::F16})
    for (Algorithm algo : algorithms_and_auto()) {
      SCOPED_TRACE(std::string(to_string(algo)) + " " + to_string(dtype));
      PlanHarness h(random_call({1, 4, 2, 8, 0, true, 0}, 24, dtype, 8), algo);
      size_t nonfinite = 0;
      EXPECT_TRUE(h.step(10, 1, [](HostCall& c) { c.value(10, 0, 2) = kNaN; }, &nonfinite)) << "step at 10";
      EXPECT_EQ(nonfinite, 2u);  // heads 0 and 1, dim 2
      EXPECT_TRUE(h.step(12, 2, kNoEdit, &nonfinite)) << "step at 12";
      EXPECT_EQ(nonfinite, 2u);
      EXPECT_TRUE(h.step(8, 3, kNoEdit, &nonfinite)) << "step at 8 (rolled back)";
      EXPECT_EQ(nonfinite, 0u);
      EXPECT_TRUE(h.step(9, 4, kNoEdit, &nonfinite)) << "step at 9 (rolled back)";
      EXPECT_EQ(nonfinite, 0u);
    }
}

// Caches over several bindings (a Context with 4 KiB bindings, see windows_test): the bad
// token sits just past a window edge, and every row past the context is bad too.
// f32 rows (Hkv=1, D=16) are 64 bytes: 64 per window, 150 = 3 windows; f16 rows 128 per window.
TEST(MaskingWindows, NonFiniteValuesPastAWindowEdgeReachOnlyRowsThatSeeThem) {
  Context& small = small_bindings_context();
  for (DType dtype : {DType::F32, DType::F16}) {
    const bool f32 = dtype == DType::F32;
    const uint32_t cap = f32 ? 150 : 300, edge = f32 ? 64 : 128;
    // tokens edge-2 .. edge; the heads of windows_test's cases (no extra shader variants)
    const reference::CallSpec p{3, f32 ? 2u : 1u, 1, 16, edge - 2, true, 0};
    for (float bad : kBadValues)
      for (int what = 0; what < 3; ++what) {
        HostCall call = random_call(p, cap, dtype, 200);
        if (what == 0) call.value(edge, 0, 3) = bad;
        if (what == 1) call.key(edge, 0, 3) = bad;
        if (what == 2)
          for (size_t i = call.kv_index(edge + 1, 0, 0); i < call.k_cache.size(); ++i)
            call.k_cache[i] = call.v_cache[i] = bad;
        for (Algorithm algo : algorithms_and_auto()) {
          const verify::Case vc{p.seq_len, p.q_heads, p.kv_heads, p.head_dim, p.input_pos, cap};
          if (!verify::supported(small, vc, algo)) continue;
          SCOPED_TRACE(std::string(to_string(algo)) + " " + to_string(dtype) + " bad " + std::to_string(bad) +
                       (what == 0 ? " in V" : what == 1 ? " in K" : " past the context"));
          const CallResult r = run_forward(small, call, algo);
          EXPECT_TRUE(matches_reference(r.out, r.ref));
        }
      }
  }
}
