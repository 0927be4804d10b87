// Attention sinks (SdpaOptions::sinks: one logit per query head that joins the softmax
// denominator and has no value row, as in gpt-oss): against the float64 reference on
// flash-prefill, split-kv and Auto, both cache dtypes; sinks far above every score (the
// output nearly 0, never NaN); with a window and soft-cap; through a plan; refused by
// three-pass and checked for size and finiteness.
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

// The reference: a sink is one more term e^(sink - M) of the denominator. With a sink of
// -1e30 nothing changes; with one far above the scores the output shrinks by e^(score-sink).
TEST(SinksReference, JoinsOnlyTheDenominator) {
  HostCall c = random_call({2, 2, 1, 8, 3, true, 0}, 5, DType::F32, 2);
  const CallResult plain = expected_of(c);
  c.p.sinks = {-1e30f, -1e30f};
  const CallResult none = expected_of(c);
  for (size_t i = 0; i < plain.ref.size(); ++i) EXPECT_NEAR(none.ref[i], plain.ref[i], 1e-15);
  c.p.sinks = {0.f, 40.f};  // head 1: every score (|s| < 10) is far below its sink
  const CallResult sunk = expected_of(c);
  for (uint32_t s = 0; s < 2; ++s)
    for (uint32_t d = 0; d < 8; ++d) {
      EXPECT_LT(std::abs(sunk.ref[c.q_index(s, 1, d)]), 1e-8) << "head 1 row " << s;
      EXPECT_LT(std::abs(sunk.ref[c.q_index(s, 0, d)]), std::abs(plain.ref[c.q_index(s, 0, d)]) + 1e-12);
    }
}

// Random calls through verify (output poisoned, whole cache compared).
TEST(Sinks, MatchesReferenceOnFusedAlgorithms) {
  struct Shape {
    uint32_t S, Hq, Hkv, D, pos;
    bool causal;
  };
  const Shape shapes[] = {{1, 4, 2, 8, 300, true}, {3, 4, 2, 8, 40, true}, {70, 4, 2, 8, 60, true},
                          {5, 2, 1, 8, 130, false}};
  const std::vector<std::vector<float>> sink_sets = {{0.5f, -1.f, 2.f, 0.f}, {30.f, -3.f, 80.f, 1.f}};
  uint32_t seed = 200;
  for (const Shape& s : shapes)
    for (const auto& sinks : sink_sets)
      for (uint32_t window : {0u, 33u})
        for (Algorithm algo : algorithms_and_auto())
          for (DType dtype : {DType::F32, DType::F16}) {
            verify::Case c{s.S, s.Hq, s.Hkv, s.D, s.pos, s.pos + s.S + 3, s.causal};
            c.sinks.assign(sinks.begin(), sinks.begin() + s.Hq);
            c.window_left = window;
            c.softcap = window ? 20.f : 0.f;
            if (!verify::supported(ctx(), c, algo)) continue;
            expect_case_passes(ctx(), c, algo, dtype, ++seed);
          }
}

// A decode plan keeps its sinks: steps match the reference; the rows of the head whose
// sink (80) lies far above every score are nearly 0 and finite.
TEST(SinksPlan, DecodeStepsKeepTheirSinks) {
  for (Algorithm algo : {Algorithm::Auto, Algorithm::SplitKvDecode, Algorithm::FlashPrefill}) {
    SCOPED_TRACE(to_string(algo));
    HostCall start = random_call({1, 4, 2, 8, 0, true, 0}, 64, DType::F32, 5);
    start.p.sinks = {1.f, 80.f, -2.f, 0.f};
    PlanHarness plan(start, algo);
    size_t nonfinite = 0;
    for (uint32_t pos : {10u, 11u, 40u}) {
      EXPECT_TRUE(plan.step(pos, pos, kNoEdit, &nonfinite)) << "step at " << pos;
      const std::vector<float> got = plan.out.download();
      for (uint32_t d = 0; d < 8; ++d) EXPECT_LT(std::abs(got[start.q_index(0, 1, d)]), 1e-20f);
    }
  }
}

// Three-pass refuses sinks; a wrong count or a non-finite sink is a ShapeError naming it.
TEST(Sinks, RefusedAndValidated) {
  const KVCacheConfig cache{64, 2, 8, DType::F32};
  Sdpa sdpa(ctx());
  SdpaOptions opt;
  opt.sinks = {0.f, 1.f, 2.f, 3.f};
  opt.algorithm = Algorithm::ThreePassCoalesced;
  try {
    sdpa.validate(4, 4, 0, cache, opt);
    ADD_FAILURE() << "three-pass accepted sinks";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("sinks"), std::string::npos) << e.what();
  }
  opt.algorithm = Algorithm::Auto;
  EXPECT_NE(sdpa.validate(4, 4, 0, cache, opt), Algorithm::ThreePassCoalesced);
  opt.sinks = {0.f, 1.f};
  try {
    sdpa.validate(4, 4, 0, cache, opt);
    ADD_FAILURE() << "2 sinks for 4 heads accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("sinks has 2 values"), std::string::npos) << e.what();
  }
  opt.sinks = {0.f, std::numeric_limits<float>::quiet_NaN(), 0.f, 0.f};
  try {
    sdpa.validate(4, 4, 0, cache, opt);
    ADD_FAILURE() << "a NaN sink accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("sinks[1]"), std::string::npos) << e.what();
  }
}

// Every variant at once on odd shapes: GQA ratios 3 and 7, head dims 12 and 20 (multiples
// of 4, not of 8), a window straddling a 32-key tile, soft-cap, sinks, the LSE and ALiBi
// (the paper's slopes for 6 and 7 heads: not powers of two), and an explicit mask (additive,
// bool, none by shape).
TEST(AllVariants, OddShapes) {
  struct Shape {
    uint32_t S, Hq, Hkv, D, pos;
  };
  uint32_t seed = 400;
  const std::optional<MaskKind> masks[] = {MaskKind::Additive, MaskKind::Bool, std::nullopt};
  const Shape shapes[] = {{2, 6, 2, 12, 70}, {1, 7, 1, 20, 300}, {5, 6, 2, 12, 33}};
  for (size_t i = 0; i < std::size(shapes); ++i)
    for (Algorithm algo : algorithms_and_auto())
      for (DType dtype : {DType::F32, DType::F16}) {
        const Shape& s = shapes[i];
        verify::Case c{s.S, s.Hq, s.Hkv, s.D, s.pos, s.pos + s.S + 1, true};
        c.window_left = 33;
        c.softcap = 30.f;
        c.sinks.resize(s.Hq);
        for (uint32_t h = 0; h < s.Hq; ++h) c.sinks[h] = static_cast<float>(h) - 2.f;
        c.lse = true;
        c.alibi = true;
        c.mask = masks[i];
        if (!verify::supported(ctx(), c, algo)) continue;
        expect_case_passes(ctx(), c, algo, dtype, ++seed);
      }
}
