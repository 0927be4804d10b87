// ALiBi (SdpaOptions::alibi / alibi_slopes: score += m_h * (key_pos - query_pos) after the
// soft-cap, Press et al. 2022): the default slopes against the paper's reference code, the
// float64 reference's bias, every algorithm against it (default and explicit slopes of any
// sign, causal or not, with window, soft-cap, sinks and LSE), long contexts where the bias
// reaches ~1e4, plans, and the option checks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "host_call.hpp"
#include "webattn/verify.hpp"

using namespace webattn;
using namespace webattn::testing;

namespace {
Context& ctx() { return test_context(); }

// The paper's reference code (ofirpress/attention_with_linear_biases, get_slopes), written
// as it is there: powers of start = 2^(-2^-(log2(n) - 3)) for a power of two n, otherwise
// the slopes of the largest power of two below, then every other slope of twice that many.
std::vector<double> paper_slopes(uint32_t n) {
  const auto power_of_2 = [](uint32_t k) {
    const double start = std::pow(2.0, -std::pow(2.0, -(std::log2(double(k)) - 3)));
    std::vector<double> s;
    for (uint32_t i = 0; i < k; ++i) s.push_back(start * std::pow(start, double(i)));
    return s;
  };
  if (std::exp2(std::floor(std::log2(double(n)))) == n) return power_of_2(n);
  const auto closest = static_cast<uint32_t>(std::exp2(std::floor(std::log2(double(n)))));
  std::vector<double> s = power_of_2(closest);
  const std::vector<double> twice = paper_slopes(2 * closest);
  for (uint32_t i = 0; s.size() < n; i += 2) s.push_back(twice[i]);
  return s;
}
}  // namespace

TEST(AlibiSlopes, FollowThePapersReferenceCode) {
  for (uint32_t n = 1; n <= 80; ++n) {
    const std::vector<float> got = alibi_slopes(n);
    const std::vector<double> want = paper_slopes(n);
    ASSERT_EQ(got.size(), n);
    for (uint32_t h = 0; h < n; ++h)
      EXPECT_EQ(got[h], static_cast<float>(want[h])) << n << " heads, head " << h;
  }
  EXPECT_THROW(alibi_slopes(0), ShapeError);
}

// The reference adds m * (key - query): slopes 0 change nothing; a slope far above the
// scores leaves each causal row its own value (every older key is e^-m*distance behind);
// a constant shift of every score of a row (non-causal row 0 vs the LSE) moves only the LSE.
TEST(AlibiReference, BiasByDistance) {
  HostCall c = random_call({3, 2, 1, 8, 5, true, 0}, 8, DType::F32, 4);
  std::vector<double> plain_lse, zero_lse;
  const CallResult plain = expected_of(c);
  reference::attention(c.q, plain.k_expected, plain.v_expected, c.p, &plain_lse);
  c.p.alibi_slopes = {0.f, 0.f};
  const CallResult zero = expected_of(c);
  reference::attention(c.q, zero.k_expected, zero.v_expected, c.p, &zero_lse);
  for (size_t i = 0; i < plain.ref.size(); ++i) EXPECT_EQ(zero.ref[i], plain.ref[i]);
  for (size_t i = 0; i < plain_lse.size(); ++i) EXPECT_EQ(zero_lse[i], plain_lse[i]);
  c.p.alibi_slopes = {200.f, 0.f};
  const CallResult steep = expected_of(c);
  for (uint32_t s = 0; s < 3; ++s)
    for (uint32_t d = 0; d < 8; ++d) {
      EXPECT_NEAR(steep.ref[c.q_index(s, 0, d)], steep.v_expected[c.kv_index(5 + s, 0, d)], 1e-12);
      EXPECT_EQ(steep.ref[c.q_index(s, 1, d)], plain.ref[c.q_index(s, 1, d)]);  // head 1: slope 0
    }
}

// Random calls through verify (outputs and LSE poisoned, whole cache compared).
TEST(Alibi, MatchesReferenceOnEveryAlgorithm) {
  struct Shape {
    uint32_t S, Hq, Hkv, D, pos;
    bool causal;
  };
  const Shape shapes[] = {{1, 4, 2, 8, 300, true}, {3, 6, 2, 8, 40, true}, {70, 4, 2, 8, 60, true},
                          {5, 2, 1, 8, 130, false}};
  const std::vector<float> explicit_slopes = {0.7f, -0.3f, 0.f, 2.5f, 1e-3f, -1.f};
  uint32_t seed = 500;
  // The bias is formed after the cache is read, so the dtypes alternate with the slopes
  // (each slope set is its own pipeline: lavapipe compiles each for seconds).
  for (const Shape& s : shapes)
    for (bool given : {false, true})
      for (Algorithm algo : algorithms_and_auto()) {
        const DType dtype = given ? DType::F16 : DType::F32;
        verify::Case c{s.S, s.Hq, s.Hkv, s.D, s.pos, s.pos + s.S + 3, s.causal};
        c.alibi = true;
        if (given) c.alibi_slopes.assign(explicit_slopes.begin(), explicit_slopes.begin() + s.Hq);
        c.lse = true;  // where the algorithm writes one
        if (!verify::supported(ctx(), c, algo)) c.lse = false;
        if (!verify::supported(ctx(), c, algo)) continue;
        expect_case_passes(ctx(), c, algo, dtype, ++seed);
      }
}

// With the other variants: a window across tile edges, a soft-cap (the bias comes after
// it), sinks on the shifted scale (non-causal rows and negative slopes shift it) and the LSE.
TEST(Alibi, WithWindowSoftcapSinksAndLse) {
  struct Shape {
    uint32_t S, Hq, Hkv, D, pos;
    bool causal;
  };
  uint32_t seed = 600;
  for (const Shape& s : {Shape{1, 4, 2, 8, 300, true}, Shape{70, 4, 2, 8, 60, true}, Shape{5, 4, 2, 8, 130, false}})
    for (Algorithm algo : algorithms_and_auto())
      for (DType dtype : {DType::F32, DType::F16}) {
        if (dtype == DType::F16 && s.causal) continue;  // f16 once: the non-causal chunk
        verify::Case c{s.S, s.Hq, s.Hkv, s.D, s.pos, s.pos + s.S + 2, s.causal};
        c.alibi = true;
        c.alibi_slopes = {0.05f, -0.02f, 0.5f, 0.f};
        c.window_left = 65;
        c.softcap = 5.f;
        c.sinks = {1.f, 3.f, -2.f, 0.5f};
        c.lse = true;
        if (!verify::supported(ctx(), c, algo)) continue;
        expect_case_passes(ctx(), c, algo, dtype, ++seed);
      }
}

// Long contexts: the bias of the farthest key reaches slope * 131071 (8192 with the
// default 2-head slope 1/16; ~1e4 with the explicit ones). Decode, a short chunk and a
// non-causal chunk whose negative slopes put the row's largest bias on key 0 (the shifted
// scale and the LSE's offset at full size). One kv head, head dim 4: small caches.
TEST(Alibi, LongContextsKeepFp32Accuracy) {
  struct Case {
    uint32_t S, pos;
    bool causal;
    std::vector<float> slopes;
  };
  const uint32_t C = 131072;
  const Case cases[] = {{1, C - 1, true, {}}, {3, C - 3, true, {0.1f, 1.f / 1024}},
                        {3, C - 3, false, {-1.f / 8192, -0.08f}}};
  uint32_t seed = 700;
  for (const Case& k : cases)
    for (Algorithm algo : algorithms_and_auto()) {
      verify::Case c{k.S, 2, 1, 4, k.pos, C, k.causal};
      c.alibi = true;
      c.alibi_slopes = k.slopes;
      c.lse = true;
      if (!verify::supported(ctx(), c, algo)) c.lse = false;
      if (!verify::supported(ctx(), c, algo)) continue;
      expect_case_passes(ctx(), c, algo, DType::F32, ++seed);
    }
}

// A decode plan keeps its slopes; its steps at growing positions match the reference.
TEST(AlibiPlan, DecodeAndChunkSteps) {
  for (uint32_t S : {1u, 4u})
    for (Algorithm algo : {Algorithm::Auto, Algorithm::SplitKvDecode, Algorithm::FlashPrefill,
                           Algorithm::ThreePassCoalesced}) {
      SCOPED_TRACE(std::string(to_string(algo)) + " S=" + std::to_string(S));
      HostCall start = random_call({S, 4, 2, 8, 0, true, 0}, 96, DType::F32, 9);
      start.p.alibi_slopes = alibi_slopes(4);
      PlanHarness plan(start, algo);
      size_t nonfinite = 0;
      for (uint32_t pos : {10u, 11u, 40u, 90u}) EXPECT_TRUE(plan.step(pos, pos, kNoEdit, &nonfinite)) << "step at " << pos;
    }
}

// A wrong slope count, a non-finite slope and slopes without alibi are ShapeErrors naming them.
TEST(Alibi, OptionsValidated) {
  const KVCacheConfig cache{64, 2, 8, DType::F32};
  Sdpa sdpa(ctx());
  SdpaOptions opt;
  opt.alibi = true;
  EXPECT_NO_THROW(sdpa.validate(4, 6, 0, cache, opt));
  const auto expect_shape_error = [&](const SdpaOptions& o, const std::string& says) {
    try {
      sdpa.validate(4, 4, 0, cache, o);
      ADD_FAILURE() << "accepted; expected a ShapeError saying '" << says << "'";
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  opt.alibi_slopes = {0.5f, 0.25f};
  expect_shape_error(opt, "alibi_slopes has 2 values");
  opt.alibi_slopes = {0.5f, std::numeric_limits<float>::infinity(), 0.f, 0.f};
  expect_shape_error(opt, "alibi_slopes[1] must be finite");
  opt.alibi_slopes = {0.5f, 0.25f, 0.f, 0.f};
  opt.alibi = false;
  expect_shape_error(opt, "alibi is false");
}
