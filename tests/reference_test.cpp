// The float64 reference against cases small enough to work out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "webattn/reference.hpp"
#include "webattn/verify.hpp"

using namespace webattn::reference;

TEST(Reference, SingleKeyReturnsItsValue) {
  CallSpec p{1, 1, 1, 4, 0, true, 0};
  std::vector<float> q{0.3f, -1.f, 2.f, 0.5f}, k(4, 0.f), v(4, 0.f);
  update_cache(k, v, {1, 2, 3, 4}, {5, -6, 7, 8}, p);
  auto out = attention(q, k, v, p);
  EXPECT_EQ(out, (std::vector<double>{5, -6, 7, 8}));
}

TEST(Reference, TwoKeysByHand) {
  // D=1, scale 1: scores q*k = {0, ln 3}; weights {1/4, 3/4}; out = 0.25*2 + 0.75*10 = 8.
  CallSpec p{1, 1, 1, 1, 1, true, 1.0};
  std::vector<float> k{0.f, 0.f}, v{2.f, 0.f};
  update_cache(k, v, {static_cast<float>(std::log(3.0))}, {10.f}, p);
  auto out = attention({1.f}, k, v, p);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0], 0.25 * 2 + 0.75 * 10, 1e-7);  // ln 3 rounded to float
}

TEST(Reference, CausalMaskHidesLaterPositions) {
  // S=2 from position 0: row 0 sees only key 0, row 1 sees keys 0 and 1 (equal scores).
  CallSpec p{2, 1, 1, 1, 0, true, 1.0};
  std::vector<float> k(2), v(2);
  update_cache(k, v, {0.f, 0.f}, {4.f, 8.f}, p);
  auto out = attention({1.f, 1.f}, k, v, p);
  EXPECT_DOUBLE_EQ(out[0], 4.0);
  EXPECT_DOUBLE_EQ(out[1], 6.0);
  p.causal = false;  // both rows see both keys
  out = attention({1.f, 1.f}, k, v, p);
  EXPECT_DOUBLE_EQ(out[0], 6.0);
}

TEST(Reference, GroupedQueryHeadsShareTheirKvHead) {
  // Hq=4, Hkv=2: heads 0,1 read kv head 0 (value 1), heads 2,3 read kv head 1 (value 2).
  CallSpec p{1, 4, 2, 1, 0, true, 0};
  std::vector<float> k(2), v(2);
  update_cache(k, v, {0.5f, -0.5f}, {1.f, 2.f}, p);
  auto out = attention({1, 2, 3, 4}, k, v, p);
  EXPECT_EQ(out, (std::vector<double>{1, 1, 2, 2}));
}

TEST(Reference, DefaultScaleIsInverseSqrtD) {
  // D=4, q=k=(1,1,1,1): score 4 * (1/2) = 2 vs score 0 for the zero key.
  CallSpec p{1, 1, 1, 4, 1, true, 0};
  std::vector<float> k(8, 0.f), v(8, 0.f);
  v[0] = 1.f;  // key 0: zeros, value (1,0,0,0)
  update_cache(k, v, {1, 1, 1, 1}, {0, 1, 0, 0}, p);
  auto out = attention({1, 1, 1, 1}, k, v, p);
  const double w1 = std::exp(2.0) / (1 + std::exp(2.0));
  EXPECT_NEAR(out[0], 1 - w1, 1e-15);
  EXPECT_NEAR(out[1], w1, 1e-15);
}

TEST(Reference, NanInputPropagates) {
  CallSpec p{1, 1, 1, 1, 0, true, 1.0};
  std::vector<float> k(1), v(1);
  update_cache(k, v, {NAN}, {1.f}, p);
  auto out = attention({1.f}, k, v, p);
  EXPECT_TRUE(std::isnan(out[0]));
}

TEST(Reference, CompareCountsUnwrittenPoison) {
  auto c = compare({1.f, NAN}, {1.0, 2.0});
  EXPECT_EQ(c.nonfinite, 1u);
  c = compare({1.f, 2.5f}, {1.0, 2.0});
  EXPECT_DOUBLE_EQ(c.max_abs, 0.5);
}

TEST(Reference, CompareMatchesNonFiniteValuesOnlyInKind) {
  const double inf = std::numeric_limits<double>::infinity();
  // an LSE row with no key: -inf due; NaN or +inf there is wrong
  EXPECT_EQ(compare({NAN}, {-inf}).nonfinite, 1u);
  EXPECT_EQ(compare({INFINITY}, {-inf}).nonfinite, 1u);
  EXPECT_EQ(compare({-INFINITY}, {NAN}).nonfinite, 1u);
  EXPECT_EQ(compare({-INFINITY, NAN, INFINITY}, {-inf, NAN, inf}).nonfinite, 0u);
}

// A case's label tells its floats apart: std::to_string printed a soft-cap of 1e-45 as "0.000000".
TEST(Reference, CaseLabelsPrintFloatsWithTheirDigits) {
  webattn::verify::Case c{1, 2, 1, 8, 0, 4};
  c.softcap = 1e-45f;
  c.scale = 0.125f;
  EXPECT_NE(c.str().find(" softcap=1.4013e-45"), std::string::npos) << c.str();
  EXPECT_NE(c.str().find(" scale=0.125"), std::string::npos) << c.str();
  c.softcap = 50.f;
  c.scale = 0.1f;
  EXPECT_EQ(c.str().find(" softcap=50"), c.str().size() - 11) << c.str();  // the label's end: "50", not "50.000000"
  EXPECT_NE(c.str().find(" scale=0.1 "), std::string::npos) << c.str();
}
