// f16 activations: q, k_new, v_new and out may each be IEEE halves (packed two per u32),
// independently of each other and of the cache's dtype. Every algorithm and Auto, both
// cache dtypes, all-f16 and mixed activations, against the float64 reference on the
// f16-rounded inputs (outputs poisoned, the whole cache compared after the update); the
// f16-out bound of verify::tolerance and, element-wise, round_f16 within one f16 ulp; values
// near the f16 range limits; plans; validation.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "host_call.hpp"
#include "webattn/verify.hpp"

using namespace webattn;
using namespace webattn::testing;

namespace {
Context& ctx() { return test_context(); }

constexpr DType F32 = DType::F32, F16 = DType::F16;

// All f16, and two mixes in which each tensor is f16 once and f32 once.
const ActivationDTypes kActs[] = {{F16, F16, F16, F16}, {F16, F32, F16, F32}, {F32, F16, F32, F16}};

// The spacing of halves around |x| (subnormals: 2^-24); x finite.
double half_ulp(double x) {
  const double a = std::abs(x);
  if (a < std::ldexp(1.0, -14)) return std::ldexp(1.0, -24);
  return std::ldexp(1.0, std::ilogb(a) - 10);
}

// Element-wise f16-out check: the fp32 result x (|x - ref| <= inner) rounded once to a half
// differs from round_f16(ref) by at most |x - ref| + one ulp (both roundings move by at most
// half an ulp), the ulp taken at the larger magnitude. Non-finite where round_f16(ref) is.
::testing::AssertionResult within_one_half_ulp(const std::vector<float>& got, const std::vector<double>& ref,
                                                double inner) {
  for (size_t i = 0; i < ref.size(); ++i) {
    const float want = half::round_to_half(static_cast<float>(ref[i]));
    if (!std::isfinite(want) || !std::isfinite(got[i])) {
      if (std::isfinite(want) != std::isfinite(got[i]) || (std::isinf(want) && want != got[i]))
        return ::testing::AssertionFailure() << "element " << i << ": got " << got[i] << ", round_f16(ref) " << want;
      continue;
    }
    const double bound = half_ulp(std::max(std::abs(double(got[i])), std::abs(double(want)))) + inner;
    if (std::abs(double(got[i]) - want) > bound)
      return ::testing::AssertionFailure() << "element " << i << ": got " << got[i] << ", round_f16(ref) " << want
                                           << " (ref " << ref[i] << "), more than " << bound << " apart";
  }
  return ::testing::AssertionSuccess();
}
}  // namespace

// Host side: f16 tensors round on upload (ties to even, 65520 and up to Inf) and widen
// exactly on download; storage is two halves per u32 word, an odd count padded.
TEST(F16Activations, TensorRoundsOnUploadAndWidensOnDownload) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> in = {65504.f, 65519.f, 65520.f, -1e5f, 1.f + std::ldexp(1.f, -11), 0.1f, -2.5f};
  const std::vector<float> want = {65504.f, 65504.f, inf, -inf, 1.f, 0.0999755859375f, -2.5f};  // worked by hand
  Tensor t = Tensor::from(ctx(), {7}, in, "t", F16);
  EXPECT_EQ(t.dtype(), F16);
  EXPECT_EQ(t.bytes(), 16u);  // 7 halves -> 4 words
  const auto got = t.download();
  ASSERT_EQ(got.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i)
    EXPECT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i])) << in[i] << " -> " << got[i];
  t.poison();
  for (float x : t.download()) EXPECT_TRUE(std::isnan(x));
  EXPECT_EQ(Tensor(ctx(), {3, 4, 8}, "f32").bytes(), 3u * 4 * 8 * 4);
  EXPECT_EQ(Tensor(ctx(), {3, 4, 8}, "f16", F16).bytes(), 3u * 4 * 8 * 2);
}

// Every algorithm and Auto x cache dtype x activation dtypes, on odd shapes: GQA 3/5/7, head
// dim 12 (a multiple of 4, not 8; each further head dim costs lavapipe long compiles), S*g =
// 15/16/17 around split-kv's Auto threshold, a long prefill over several flash tiles,
// non-causal, and a window, sinks and an lse.
TEST(F16Activations, EveryAlgorithmCacheDtypeAndActivationDtypes) {
  struct Shape {
    uint32_t S, Hq, Hkv, D, pos;
    bool causal;
  };
  const Shape shapes[] = {{1, 7, 1, 12, 40, true}, {17, 3, 3, 12, 33, true}, {3, 15, 3, 12, 9, false},
                          {4, 4, 1, 12, 70, true}, {70, 5, 1, 12, 10, true}};
  uint32_t seed = 900;
  for (const Shape& s : shapes)
    for (const ActivationDTypes& act : kActs)
      for (Algorithm algo : algorithms_and_auto())
        for (DType dtype : {F32, F16}) {
          verify::Case c{s.S, s.Hq, s.Hkv, s.D, s.pos, s.pos + s.S + 3, s.causal};
          c.act = act;
          if (!verify::supported(ctx(), c, algo)) continue;
          expect_case_passes(ctx(), c, algo, dtype, seed++);
        }
  // The variants' own bindings beside f16 q and out.
  verify::Case v{6, 6, 2, 12, 50, 60, true};
  v.act = kActs[0];
  v.window_left = 20;
  v.sinks = {0.5f, -1.f, 2.f, 0.f, 1.f, -0.5f};
  v.lse = true;
  for (Algorithm algo : {Algorithm::FlashPrefill, Algorithm::SplitKvDecode, Algorithm::Auto})
    for (DType dtype : {F32, F16}) expect_case_passes(ctx(), v, algo, dtype, seed++);
}

// The f16-out bound is the one verify applies: rel L2 <= u + (1 + u) * limit, u = 2^-11.
// It is not met by chance: the f16 rounding alone is ~2e-4 relative on random outputs, far
// above the fp32 limit, and the same call with f32 out meets the fp32 limits.
TEST(F16Activations, F16OutBoundAndOnlyTheRoundingOfOut) {
  EXPECT_DOUBLE_EQ(verify::tolerance(F32, 1, F16).rel_l2, 1.0 / 2048 + (1 + 1.0 / 2048) * 1e-6);
  EXPECT_DOUBLE_EQ(verify::tolerance(F16, 2, F16).rel_l2, 1.0 / 2048 + (1 + 1.0 / 2048) * 2e-5);
  verify::Case c{4, 6, 2, 12, 30, 40, true};
  c.act = {F16, F16, F16, F16};
  const verify::Result half_out = verify::run_case(ctx(), c, Algorithm::Auto, F32, 41);
  EXPECT_TRUE(half_out.passed());
  EXPECT_GT(half_out.cmp.rel_l2, 1e-5);  // the rounding of out is really there
  c.act.out = F32;
  const verify::Result f32_out = verify::run_case(ctx(), c, Algorithm::Auto, F32, 41);
  EXPECT_TRUE(f32_out.passed());
  EXPECT_LE(f32_out.cmp.rel_l2, 1e-6);  // f16 inputs alone: the fp32 limit (reference on rounded inputs)
}

// Outputs below the f16 range: a sink far above every score scales the row by e^(m - sink)
// ~ 1e-30, which a half holds as 0 (the H200 fuzz case `S=1 Hq=1 Hkv=1 D=256 pos=0 sinks
// act=f16,f32,f32,f16 alibi`: rel L2 1.0 against the bound for normal halves). The bound
// allows 2^-25 per element for that, and only for f16 out.
TEST(F16Activations, F16OutBelowTheHalfRangeIsZeroAndPasses) {
  verify::Case c{1, 1, 1, 12, 0, 9, true};
  c.sinks = {80.f};
  c.act = {F16, F32, F32, F16};
  const verify::Result r = verify::run_case(ctx(), c, Algorithm::Auto, F32, 5);
  EXPECT_GT(r.cmp.rel_l2, 0.5);  // every output underflowed to 0 (or near it)
  EXPECT_LT(r.cmp.max_abs, 1e-20);
  EXPECT_GT(r.out_underflow_rel, 1.0);
  EXPECT_TRUE(r.passed());
  c.act.out = F32;  // f32 out holds them: no allowance
  // The row's whole output is e^(m - sink) * (...): within 1e-6 only if m - sink is recovered
  // exactly (exp_diff / exp2_diff's TwoSum; Mesa folded it away until its steps were made
  // opaque: rel 3e-6). Split-kv's merge (Auto here), flash-prefill, flash-prefill-tiled.
  for (Algorithm algo : {Algorithm::Auto, Algorithm::FlashPrefill, Algorithm::FlashPrefillTiled}) {
    SCOPED_TRACE(to_string(algo));
    ASSERT_TRUE(verify::supported(ctx(), c, algo));
    const verify::Result f32_out = verify::run_case(ctx(), c, algo, F32, 5);
    EXPECT_EQ(f32_out.out_underflow_rel, 0.0);
    EXPECT_LT(f32_out.cmp.max_abs, 1e-30);
    EXPECT_TRUE(f32_out.passed());
    EXPECT_LE(f32_out.cmp.rel_l2, 1e-6);
  }
}

// Element-wise: with an f32 cache (GPU within 2e-6 of float64 before rounding), f16 out is
// round_f16(ref) up to one f16 ulp, every algorithm.
TEST(F16Activations, F16OutIsTheReferenceRoundedWithinOneUlp) {
  for (Algorithm algo : algorithms_and_auto()) {
    SCOPED_TRACE(to_string(algo));
    const HostCall call = random_call({6, 6, 2, 12, 25, true, 0}, 36, F32, 77);
    const CallResult r = run_forward(ctx(), call, algo, {F16, F32, F32, F16});
    EXPECT_TRUE(within_one_half_ulp(r.out, r.ref, 2e-6));
  }
}

// Range limits: q near 65504 with a small scale (scores ordinary: q.k is formed in fp32
// after the scale, no overflow); V near 65504 in f16 k_new / v_new, so out (a weighted mean
// of V) is near the top of the f16 range and must stay finite; an f32 V of 1e5 read through
// an f32 cache gives an f16 out that rounds to Inf exactly where round_f16(ref) does.
TEST(F16Activations, ValuesNearTheF16RangeLimits) {
  for (Algorithm algo : algorithms_and_auto()) {
    SCOPED_TRACE(to_string(algo));
    HostCall call = random_call({3, 4, 2, 8, 5, true, 1e-4}, 10, F32, 88);
    for (size_t i = 0; i < call.q.size(); ++i) call.q[i] = (i % 2 ? -1.f : 1.f) * (60000.f + float(i % 7) * 700.f);
    for (auto* v : {&call.v_cache, &call.v_new})
      for (size_t i = 0; i < v->size(); ++i) (*v)[i] = 65000.f + float(i % 5) * 100.f;  // mean near 65200
    const CallResult r = run_forward(ctx(), call, algo, {F16, F16, F16, F16});
    for (float x : r.out) EXPECT_TRUE(std::isfinite(x)) << x;
    EXPECT_TRUE(within_one_half_ulp(r.out, r.ref, 2e-6 * 65504));

    // past the range: only out is f16; values 1e5 in kv head 1 at position 7, seen by row 2 only
    HostCall big = random_call({3, 4, 2, 8, 5, true, 0}, 10, F32, 89);
    for (uint32_t d = 0; d < 8; ++d) big.value(7, 1, d) = 1e5f * (d % 2 ? -1.f : 1.f);
    for (uint32_t pos = 0; pos < 8; ++pos) big.key(pos, 1, 0) = pos == 7 ? 50.f : 0.f;  // row 2 puts ~all weight on 7
    for (uint32_t s = 0; s < 3; ++s)
      for (uint32_t h = 2; h < 4; ++h) big.q[big.q_index(s, h, 0)] = 10.f;
    const CallResult rb = run_forward(ctx(), big, algo, {F32, F32, F32, F16});
    size_t inf = 0;
    for (float x : rb.out) inf += std::isinf(x);
    EXPECT_EQ(inf, 2u * 8);  // row 2, heads 2-3, every dim (|out| ~ 1e5 > 65520)
    EXPECT_TRUE(within_one_half_ulp(rb.out, rb.ref, 2e-6 * 1e5));
  }
}

// A NaN in one f16 query row reaches that row only; an Inf written into the cache through
// an f16 v_new (7e4 rounds to Inf) reaches only the rows that see its position.
TEST(F16Activations, NonFiniteInputsReachOnlyTheRowsThatSeeThem) {
  for (Algorithm algo : algorithms_and_auto()) {
    SCOPED_TRACE(to_string(algo));
    HostCall call = random_call({3, 4, 2, 8, 5, true, 0}, 10, F32, 90);
    call.q[call.q_index(1, 3, 2)] = kNaN;   // row 1, head 3
    call.value(7, 0, 4) = 7e4f;             // new token 2 (position 7): only row 2 sees it
    const CallResult r = run_forward(ctx(), call, algo, {F16, F16, F16, F32});
    const ElementCheck e = check_elements(r.out, r.ref, 2e-6);
    EXPECT_EQ(e.ref_nonfinite, 8u + 2u);  // row 1 head 3 (8 dims); row 2 heads 0-1 dim 4
    EXPECT_TRUE(matches_reference(r.out, r.ref));
  }
}

// Plans with f16 activations: decode-like steps refilling q/k_new/v_new, each step's output
// and the whole cache against the reference, per algorithm, cache dtype and activation dtypes.
TEST(F16Activations, PlansRunStepsWithF16Activations) {
  for (Algorithm algo : algorithms_and_auto())
    for (DType dtype : {F32, F16})
      for (const ActivationDTypes& act : {kActs[0], kActs[2]}) {
        SCOPED_TRACE(std::string(to_string(algo)) + " cache " + to_string(dtype) + " out " + to_string(act.out));
        PlanHarness h(random_call({2, 6, 2, 12, 0, true, 0}, 24, dtype, 91), algo, act);
        size_t ref_nonfinite = 0;
        uint32_t seed = 92;
        for (uint32_t pos : {0u, 7u, 8u, 22u}) EXPECT_TRUE(h.step(pos, seed++, kNoEdit, &ref_nonfinite)) << "at " << pos;
      }
}

// The cache update in pieces (rows beyond one 4 KiB binding) with k_new f16 and v_new f32:
// each binds its own rows at its own offsets; the whole cache compared.
TEST(F16Activations, CacheUpdateInPiecesWithMixedDtypes) {
  Context& small = small_bindings_context();
  const uint32_t Hkv = 2, D = 8, S = 100, C = 130, pos = 17;  // f32 rows 64 bytes: 6400 > 4096
  std::mt19937 rng(93);
  for (DType dtype : {F32, F16}) {
    SCOPED_TRACE(to_string(dtype));
    std::vector<float> kc = randn(rng, size_t{C} * Hkv * D), vc = randn(rng, size_t{C} * Hkv * D);
    const std::vector<float> kn = randn(rng, size_t{S} * Hkv * D), vn = randn(rng, size_t{S} * Hkv * D);
    KVCache cache(small, {C, Hkv, D, dtype});
    cache.update(Tensor::from(small, {C, Hkv, D}, kc), Tensor::from(small, {C, Hkv, D}, vc), 0);
    cache.update(Tensor::from(small, {S, Hkv, D}, kn, "k_new", F16), Tensor::from(small, {S, Hkv, D}, vn, "v_new", F32),
                 pos);
    reference::CallSpec p{S, Hkv, Hkv, D, pos};
    reference::update_cache(kc, vc, as_stored(kn, F16), vn, p);
    EXPECT_TRUE(same_values(cache.download_keys(), as_stored(kc, dtype)));
    EXPECT_TRUE(same_values(cache.download_values(), as_stored(vc, dtype)));
  }
}

// Validation: dtypes outside the enum name the tensor; lse stays f32; validate() sizes q by
// its dtype (an f16 q fits a binding an f32 one does not).
TEST(F16Activations, ValidationNamesTheTensorAndDtype) {
  const auto bad = static_cast<DType>(7);
  EXPECT_NE(error_of<ShapeError>([&] { Tensor(ctx(), {2, 4}, "qq", bad); }).find("'qq': dtype 7 is not allowed"),
            std::string::npos);
  Sdpa sdpa(ctx());
  const KVCacheConfig cfg{16, 2, 8};
  const auto msg = error_of<ShapeError>([&] { sdpa.validate(2, 4, 0, cfg, {}, {F32, F32, F16, bad}); });
  EXPECT_NE(msg.find("out dtype 7 is not allowed; allowed: f32, f16"), std::string::npos) << msg;
  EXPECT_EQ(sdpa.validate(2, 4, 0, cfg, {}, {F16, F32, F16, F16}), sdpa.validate(2, 4, 0, cfg));

  KVCache cache(ctx(), cfg);
  Tensor q(ctx(), {2, 4, 8}, "q", F16), k(ctx(), {2, 2, 8}, "k", F16), v(ctx(), {2, 2, 8}, "v"),
      out(ctx(), {2, 4, 8}, "out", F16), lse(ctx(), {2, 4}, "lse16", F16);
  SdpaOptions opt;
  opt.lse = &lse;
  const auto lse_msg = error_of<ShapeError>([&] { sdpa.forward(q, k, v, cache, 0, out, opt); });
  EXPECT_NE(lse_msg.find("lse ('lse16') must be f32, got f16"), std::string::npos) << lse_msg;
  // forward() without out: out takes q's dtype
  EXPECT_EQ(sdpa.forward(q, k, v, cache, 2).dtype(), F16);

  Sdpa small(small_bindings_context());  // 4 KiB bindings: q [64, 4, 8] is 8 KiB in f32, 4 KiB in f16
  const KVCacheConfig big{64, 1, 8};
  EXPECT_NE(error_of<UnsupportedError>([&] { small.validate(64, 4, 0, big); }).find("q [64, 4, 8] needs 8192 bytes"),
            std::string::npos);
  EXPECT_NO_THROW(small.validate(64, 4, 0, big, {}, {F16, F32, F32, F16}));
}
