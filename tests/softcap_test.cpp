// Logit soft-cap (SdpaOptions::softcap = c): every scaled score becomes c*tanh(score/c)
// before masking and the softmax. Every algorithm, both cache dtypes, against the float64
// reference: ordinary scores (tanh nearly linear), scores far past the cap (saturated),
// non-finite inputs, and combined with a sliding window and a plan.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "host_call.hpp"
#include "webattn/verify.hpp"

using namespace webattn;
using namespace webattn::testing;

namespace {
Context& ctx() { return test_context(); }
}  // namespace

// The reference applies c*tanh(score/c): with a cap far above every score it is the plain
// reference; with scores far above the cap every visible key gets the same weight, so the
// output is the mean of the visible values.
TEST(SoftcapReference, LinearBelowAndSaturatedAboveTheCap) {
  HostCall c = random_call({3, 2, 1, 8, 5, true, 0}, 8, DType::F32, 4);
  const CallResult plain = expected_of(c);
  c.p.softcap = 1e6;
  const CallResult capped = expected_of(c);
  for (size_t i = 0; i < plain.ref.size(); ++i) EXPECT_NEAR(capped.ref[i], plain.ref[i], 1e-9);

  c.p.softcap = 0.5;
  c.p.scale = 1e6;  // scores ~1e6: tanh = +-1 up to e^-4e6
  for (auto& x : c.q) x = std::abs(x);
  for (auto& x : c.k_cache) x = std::abs(x);
  for (auto& x : c.k_new) x = std::abs(x);  // every score positive: all saturate at +c
  const CallResult sat = expected_of(c);
  for (uint32_t s = 0; s < 3; ++s)
    for (uint32_t d = 0; d < 8; ++d) {
      double mean = 0;
      for (uint32_t pos = 0; pos <= 5 + s; ++pos) mean += sat.v_expected[c.kv_index(pos, 0, d)];
      mean /= 6 + s;
      EXPECT_NEAR(sat.ref[c.q_index(s, 1, d)], mean, 1e-12) << "s=" << s << " d=" << d;
    }
}

// Random calls through verify (output poisoned, whole cache compared), caps from 0.5 to 50,
// with the default scale and with scales large enough to push most scores past the cap.
TEST(Softcap, MatchesReferenceOnEveryAlgorithm) {
  struct Shape {
    uint32_t S, Hq, Hkv, D, pos;
    bool causal;
  };
  const Shape shapes[] = {{1, 4, 2, 8, 300, true}, {70, 4, 2, 8, 60, true}, {5, 2, 1, 8, 130, false}};
  uint32_t seed = 100;
  for (const Shape& s : shapes)
    for (float cap : {0.5f, 5.f, 50.f})
      for (float scale : {0.f, 20.f})
        for (Algorithm algo : algorithms_and_auto())
          for (DType dtype : {DType::F32, DType::F16}) {
            verify::Case c{s.S, s.Hq, s.Hkv, s.D, s.pos, s.pos + s.S + 3, s.causal, scale};
            c.softcap = cap;
            if (!verify::supported(ctx(), c, algo)) continue;
            expect_case_passes(ctx(), c, algo, dtype, ++seed);
          }
}

// Scores of +-1e30 (finite after scaling: q 1e15, keys +-1e15 in every dim, scale 1e-3...)
// saturate at exactly +-c: no Inf/Inf inside tanh. A NaN key still reaches its rows, and
// an Inf value left of a window (softcap and window together) reaches none.
TEST(Softcap, HugeScoresSaturateAndNonFiniteInputsBehave) {
  for (DType dtype : {DType::F32, DType::F16})
    for (Algorithm algo : algorithms_and_auto()) {
      SCOPED_TRACE(std::string(to_string(algo)) + " " + to_string(dtype));
      HostCall c = random_call({2, 2, 1, 8, 6, true, 1e-3, 0, 50.0}, 10, dtype, 9);
      for (auto& x : c.q) x = x > 0 ? 3e4f : -3e4f;
      for (auto* v : {&c.k_cache, &c.k_new})
        for (auto& x : *v) x = x > 0 ? 6e4f : -6e4f;  // f16-representable; scores ~ +-1.4e4 >> 50
      if (verify::supported(ctx(), {2, 2, 1, 8, 6, 10}, algo)) {
        CallResult r = run_forward(ctx(), c, algo);
        EXPECT_TRUE(matches_reference(r.out, r.ref)) << "saturated scores";
        c.key(3, 0, 5) = std::numeric_limits<float>::quiet_NaN();
        r = run_forward(ctx(), c, algo);
        EXPECT_EQ(check_elements(r.out, r.ref, 2e-6).ref_nonfinite, 2u * 2u * 8u) << "both rows, both heads";
        EXPECT_TRUE(matches_reference(r.out, r.ref)) << "NaN key at 3";
        c.key(3, 0, 5) = 1.f;
      }
      c.p.window_left = 4;  // rows at 6 and 7 see 3..6 and 4..7
      verify::Case wc{2, 2, 1, 8, 6, 10};
      wc.window_left = 4;
      if (!verify::supported(ctx(), wc, algo)) continue;
      for (uint32_t d = 0; d < 8; ++d) c.value(2, 0, d) = std::numeric_limits<float>::infinity();
      const CallResult r = run_forward(ctx(), c, algo);
      EXPECT_EQ(check_elements(r.out, r.ref, 2e-6).ref_nonfinite, 0u);
      EXPECT_TRUE(matches_reference(r.out, r.ref)) << "Inf value left of the window";
    }
}

// Soft-cap outside its domain is refused, naming the value.
TEST(Softcap, InvalidCapIsRefused) {
  for (float bad : {-1.f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    SdpaOptions opt;
    opt.softcap = bad;
    try {
      Sdpa(ctx()).validate(1, 2, 0, {8, 1, 8, DType::F32}, opt);
      ADD_FAILURE() << "softcap " << bad << " accepted";
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find("softcap"), std::string::npos) << e.what();
    }
  }
}
