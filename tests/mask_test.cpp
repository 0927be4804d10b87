// Explicit masks (SdpaOptions::mask: an additive fp32 [S, L] or a bit-packed boolean [S, W]
// tensor): the float64 reference's rule (-inf and 0 bits hide a key, rows the mask empties
// give 0 and LSE -inf), flash-prefill, split-kv and Auto against it with random masks (empty
// rows, -inf entries, with causal or not, window, ALiBi, sinks, LSE), NaN/Inf behind hidden
// keys, NaN in a visible entry, a plan whose mask the caller rewrites between steps, and the checks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "host_call.hpp"
#include "webattn/verify.hpp"

using namespace webattn;
using namespace webattn::testing;

namespace {
Context& ctx() { return test_context(); }

// A [S, cols] mask with every entry `value`.
std::vector<float> filled(const reference::CallSpec& p, uint32_t cols, float value) {
  return std::vector<float>(size_t{p.seq_len} * cols, value);
}

// The call through forward() with the reference's mask as a GPU tensor (additive, or the
// reference's bool mask packed); returns the output and the LSE.
std::pair<std::vector<float>, std::vector<float>> run_masked(const HostCall& c, Algorithm algo, MaskKind kind) {
  const auto& p = c.p;
  KVCache cache(ctx(), {c.capacity, p.kv_heads, p.head_dim, c.dtype});
  cache.update(Tensor::from(ctx(), {c.capacity, p.kv_heads, p.head_dim}, c.k_cache),
               Tensor::from(ctx(), {c.capacity, p.kv_heads, p.head_dim}, c.v_cache), 0);
  const std::vector<float> data =
      kind == MaskKind::Bool ? pack_bool_mask(p.mask_bool, p.seq_len, p.mask_stride) : p.mask;
  Tensor mask = Tensor::from(ctx(), {p.seq_len, static_cast<uint32_t>(data.size() / p.seq_len)}, data, "mask");
  Tensor out(ctx(), {p.seq_len, p.q_heads, p.head_dim}, "out"), lse(ctx(), {p.seq_len, p.q_heads}, "lse");
  out.poison();
  lse.poison();
  SdpaOptions opt = options_for(c, algo);
  opt.mask = &mask;
  opt.mask_kind = kind;
  opt.lse = &lse;
  Sdpa(ctx()).forward(Tensor::from(ctx(), {p.seq_len, p.q_heads, p.head_dim}, c.q),
                      Tensor::from(ctx(), {p.seq_len, p.kv_heads, p.head_dim}, c.k_new),
                      Tensor::from(ctx(), {p.seq_len, p.kv_heads, p.head_dim}, c.v_new), cache, p.input_pos, out, opt);
  return {out.download(), lse.download()};
}

std::vector<double> reference_lse(const HostCall& c) {
  const CallResult r = expected_of(c);
  std::vector<double> lse;
  reference::attention(c.q, r.k_expected, r.v_expected, c.p, &lse);
  return lse;
}
}  // namespace

// The reference: a zero mask changes nothing; a mask hiding all but each row's own position
// leaves that value; a row hidden entirely gives 0 and LSE -inf (the sink with a sink).
TEST(MaskReference, HidesKeysByRule) {
  HostCall c = random_call({3, 2, 1, 8, 5, false, 0}, 8, DType::F32, 4);
  const uint32_t cols = 8;
  const CallResult plain = expected_of(c);
  c.p.mask_stride = cols;
  c.p.mask = filled(c.p, cols, 0.f);
  const CallResult zero = expected_of(c);
  for (size_t i = 0; i < plain.ref.size(); ++i) EXPECT_EQ(zero.ref[i], plain.ref[i]);
  c.p.mask = filled(c.p, cols, -std::numeric_limits<float>::infinity());
  for (uint32_t s = 0; s < 2; ++s) c.p.mask[s * cols + 5 + s] = 0.f;  // row 2: nothing visible
  const CallResult own = expected_of(c);
  const std::vector<double> lse = reference_lse(c);
  for (uint32_t d = 0; d < 8; ++d) {
    for (uint32_t s = 0; s < 2; ++s) EXPECT_EQ(own.ref[c.q_index(s, 0, d)], own.v_expected[c.kv_index(5 + s, 0, d)]);
    EXPECT_EQ(own.ref[c.q_index(2, 1, d)], 0.0);
  }
  EXPECT_EQ(lse[2 * 2 + 1], -std::numeric_limits<double>::infinity());
  c.p.sinks = {0.5f, 2.f};
  EXPECT_EQ(reference_lse(c)[2 * 2 + 1], 2.0);
}

// Random masks through verify (outputs and LSE poisoned, whole cache compared): additive
// and bool, causal or not, decode and chunks around split-kv's row limit, with a window,
// ALiBi and sinks.
TEST(Mask, MatchesReferenceOnFusedAlgorithms) {
  struct Shape {
    uint32_t S, Hq, Hkv, D, pos;
    bool causal;
  };
  const Shape shapes[] = {{1, 4, 2, 8, 300, true}, {3, 6, 2, 8, 40, true}, {70, 4, 2, 8, 60, true},
                          {5, 2, 1, 8, 130, false}};
  uint32_t seed = 800;
  for (size_t i = 0; i < std::size(shapes); ++i)
    for (MaskKind kind : {MaskKind::Additive, MaskKind::Bool}) {
      // Each kind meets half the shapes plain (f32) and half with the variants (f16).
      const bool variants = (kind == MaskKind::Bool) != (i % 2 == 1);
      const Shape& s = shapes[i];
      for (Algorithm algo : algorithms_and_auto()) {
        verify::Case c{s.S, s.Hq, s.Hkv, s.D, s.pos, s.pos + s.S + 3, s.causal};
        c.mask = kind;
        c.lse = true;
        if (variants) {
          c.window_left = 40;
          c.alibi = true;
          c.sinks.assign(s.Hq, 0.5f);
        }
        if (!verify::supported(ctx(), c, algo)) continue;
        expect_case_passes(ctx(), c, algo, variants ? DType::F16 : DType::F32, ++seed);
      }
    }
}

// Keys the mask hides hold NaN and Inf in K and V: no row sees them. A NaN entry in a
// visible position makes only its row NaN; +inf too.
TEST(Mask, HiddenKeysNeverReachTheRowAndNaNEntriesDo) {
  const float inf = std::numeric_limits<float>::infinity();
  for (MaskKind kind : {MaskKind::Additive, MaskKind::Bool})
    for (Algorithm algo : {Algorithm::FlashPrefill, Algorithm::SplitKvDecode, Algorithm::Auto}) {
      SCOPED_TRACE(std::string(to_string(algo)) + (kind == MaskKind::Bool ? " bool" : " additive"));
      HostCall c = random_call({3, 4, 2, 8, 37, true, 0}, 45, DType::F32, 21);
      const uint32_t cols = 40;
      c.p.mask_stride = cols;
      c.p.mask = filled(c.p, cols, 0.5f);
      c.p.mask_bool.assign(c.p.mask.size(), 1);
      for (uint32_t pos : {3u, 20u, 38u}) {  // hidden from every row; 38 is a new token
        for (uint32_t s = 0; s < 3; ++s) c.p.mask[s * cols + pos] = -inf, c.p.mask_bool[s * cols + pos] = 0;
        for (uint32_t d = 0; d < 8; ++d) c.key(pos, d % 2, d) = kNaN, c.value(pos, 1, d) = inf;
      }
      if (kind == MaskKind::Bool) c.p.mask.clear();
      else c.p.mask_bool.clear();
      auto got = run_masked(c, algo, kind);
      const CallResult r = expected_of(c);
      EXPECT_TRUE(matches_reference(got.first, r.ref));
      if (kind == MaskKind::Additive) {
        c.p.mask[1 * cols + 10] = kNaN;  // row 1 only
        c.p.mask[2 * cols + 11] = inf;   // row 2 only
        got = run_masked(c, algo, kind);
        const CallResult bad = expected_of(c);
        const ElementCheck e = check_elements(got.first, bad.ref, 2e-6);
        EXPECT_TRUE(matches_reference(got.first, bad.ref));
        EXPECT_EQ(e.ref_nonfinite, 2u * 4 * 8);  // rows 1 and 2, every head and dim
      }
    }
}

// A plan keeps its mask tensor and reads it each step: the caller rewrites it between
// steps (here a new random pattern, sometimes emptying a row) and every step matches.
TEST(MaskPlan, CallerRewritesTheMaskBetweenSteps) {
  for (MaskKind kind : {MaskKind::Additive, MaskKind::Bool})
    for (uint32_t S : {1u, 3u})
      for (Algorithm algo : {Algorithm::Auto, Algorithm::SplitKvDecode, Algorithm::FlashPrefill}) {
        SCOPED_TRACE(std::string(to_string(algo)) + " S=" + std::to_string(S));
        const uint32_t max_context = 96, cols = kind == MaskKind::Bool ? 3 : max_context;
        HostCall start = random_call({S, 4, 2, 8, 0, true, 0}, max_context, DType::F32, 9);
        Tensor mask(ctx(), {S, cols}, "mask");
        PlanHarness plan(start, algo, {}, [&](SdpaOptions& o) {
          o.mask = &mask;
          o.mask_kind = kind;
          o.max_context = max_context;
        });
        size_t nonfinite = 0;
        for (uint32_t pos : {10u, 11u, 40u, 90u}) {
          std::mt19937 rng(pos);
          std::vector<uint8_t> vis(size_t{S} * max_context);
          for (size_t i = 0; i < vis.size(); ++i) vis[i] = rng() % 3 != 0 && !(pos == 40 && i < max_context);
          std::vector<float> add(vis.size());
          for (size_t i = 0; i < vis.size(); ++i)
            add[i] = vis[i] ? static_cast<float>(rng() % 100) / 25.f - 2.f : -std::numeric_limits<float>::infinity();
          mask.upload(kind == MaskKind::Bool ? pack_bool_mask(vis, S, max_context) : add);
          const auto set_mask = [&](HostCall& h) {
            h.p.mask_stride = max_context;
            if (kind == MaskKind::Bool) h.p.mask_bool = vis;
            else h.p.mask = add;
          };
          EXPECT_TRUE(plan.step(pos, pos, set_mask, &nonfinite)) << "step at " << pos;
        }
      }
}

// Three-pass refuses a mask (Auto routes around it); a mask of the wrong shape, too few
// columns for the context or the plan, or in out's buffer is a ShapeError naming it.
TEST(Mask, RefusedAndValidated) {
  KVCache cache(ctx(), {64, 2, 8, DType::F32});
  Tensor q(ctx(), {2, 4, 8}), k(ctx(), {2, 2, 8}), v(ctx(), {2, 2, 8}), out(ctx(), {2, 4, 8});
  Tensor mask(ctx(), {2, 20}), short_rows(ctx(), {2, 9}), wrong_rows(ctx(), {3, 20}), flat(ctx(), {40});
  Sdpa sdpa(ctx());
  SdpaOptions opt;
  opt.mask = &mask;
  opt.algorithm = Algorithm::ThreePassCoalesced;
  try {
    sdpa.forward(q, k, v, cache, 0, out, opt);
    ADD_FAILURE() << "three-pass accepted a mask";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("mask"), std::string::npos) << e.what();
  }
  opt.algorithm = Algorithm::Auto;
  EXPECT_NE(sdpa.validate(2, 4, 0, cache.config(), opt), Algorithm::ThreePassCoalesced);
  const auto expect_shape_error = [&](const std::function<void()>& call, const std::string& says) {
    try {
      call();
      ADD_FAILURE() << "accepted; expected a ShapeError saying '" << says << "'";
    } catch (const ShapeError& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  opt.mask = &short_rows;  // 9 entries for the context 8 + 2
  expect_shape_error([&] { sdpa.forward(q, k, v, cache, 8, out, opt); }, "mask rows hold 9 entries");
  opt.mask_kind = MaskKind::Bool;  // 9 words = 288 positions: fine for 10, not for a 300-position plan
  opt.max_context = 0;
  KVCache big(ctx(), {300, 2, 8, DType::F32});
  expect_shape_error([&] { sdpa.plan(q, k, v, big, out, opt); }, "the plan's max_context 300");
  opt.mask_kind = MaskKind::Additive;
  opt.mask = &wrong_rows;
  expect_shape_error([&] { sdpa.forward(q, k, v, cache, 0, out, opt); }, "mask must be [S, L] = [2, L]");
  opt.mask = &flat;
  expect_shape_error([&] { sdpa.forward(q, k, v, cache, 0, out, opt); }, "mask must be [S, L] = [2, L], got [40]");
  Tensor half_mask(ctx(), {2, 20}, "half_mask", DType::F16);
  opt.mask = &half_mask;
  expect_shape_error([&] { sdpa.forward(q, k, v, cache, 0, out, opt); }, "mask ('half_mask') must be f32");
  Tensor in_out = Tensor::wrap(ctx(), out.wgpu_buffer(), 0, {2, 16});
  opt.mask = &in_out;
  expect_shape_error([&] { sdpa.forward(q, k, v, cache, 0, out, opt); }, "mask and out are in the same WGPUBuffer");
}
