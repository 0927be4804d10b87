#include "webattn/verify.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <limits>
#include <optional>
#include <random>
#include <sstream>

#include "attention/half.hpp"
#include "attention/algorithm.hpp"

namespace webattn::verify {

namespace {
// A float as written with the digits that tell it apart (std::to_string printed 1e-45 as 0.000000).
std::string shortest(float x) {
  for (int digits = 6;; ++digits) {  // 9 significant digits always round-trip a float
    std::ostringstream o;
    o << std::setprecision(digits) << x;
    if (digits >= 9 || std::strtof(o.str().c_str(), nullptr) == x) return o.str();
  }
}
}  // namespace

std::string Case::str() const {
  return "S=" + std::to_string(S) + " Hq=" + std::to_string(Hq) + " Hkv=" + std::to_string(Hkv) +
         " D=" + std::to_string(D) + " pos=" + std::to_string(input_pos) + " cap=" + std::to_string(capacity) +
         (causal ? "" : " non-causal") + (scale > 0 ? " scale=" + shortest(scale) : "") +
         (window_left > 0 ? " window=" + std::to_string(window_left) : "") +
         (softcap > 0 ? " softcap=" + shortest(softcap) : "") + (sinks.empty() ? "" : " sinks") + (lse ? " lse" : "") +
         (act.q == DType::F16 || act.k_new == DType::F16 || act.v_new == DType::F16 || act.out == DType::F16
              ? std::string(" act=") + to_string(act.q) + "," + to_string(act.k_new) + "," + to_string(act.v_new) + "," +
                    to_string(act.out)
              : "") +
         (alibi ? (alibi_slopes.empty() ? " alibi" : " alibi=explicit") : "") +
         (mask ? (*mask == MaskKind::Bool ? " mask=bool" : " mask=additive") : "");
}

Tolerance tolerance(DType dtype, double gain, DType out) {
  const Tolerance t = dtype == DType::F32 ? Tolerance{2e-6 * gain, 1e-6 * gain} : Tolerance{1e30, 1e-5 * gain};
  if (out == DType::F32) return t;
  return {1e30, kHalfUnitRoundoff + (1 + kHalfUnitRoundoff) * t.rel_l2};
}

double score_gain(const Case& c) { return c.scale > 0 ? std::max(1.0, c.scale * std::sqrt(double(c.D))) : 1.0; }

bool Result::passed() const {
  const Tolerance t = tolerance(dtype, gain, out_dtype);
  return cache_exact && cmp.nonfinite == 0 && cmp.max_abs <= t.max_abs && cmp.rel_l2 <= t.rel_l2 + out_underflow_rel &&
         lse_cmp.nonfinite == 0 && lse_cmp.rel_l2 <= t.rel_l2;
}

std::string why_unsupported(Context& ctx, const Case& c, Algorithm algo, DType dtype) {
  if (algo == Algorithm::Auto) return "";
  const attention::CallShape shape{c.S, c.Hq, {c.capacity, c.Hkv, c.D, dtype}, c.input_pos + c.S,
                                   c.input_pos + c.S};
  SdpaOptions opt;
  opt.causal = c.causal;
  opt.scale = c.scale;
  opt.window_left = c.window_left;
  opt.softcap = c.softcap;
  opt.sinks = c.sinks;
  opt.alibi = c.alibi;
  opt.alibi_slopes = c.alibi_slopes;
  std::optional<Tensor> lse_probe;  // only whether an lse is asked for matters here
  if (c.lse) opt.lse = &lse_probe.emplace(ctx, std::vector<uint32_t>{1});
  std::optional<Tensor> mask_probe;  // likewise whether there is a mask, and its kind
  if (c.mask) opt.mask = &mask_probe.emplace(ctx, std::vector<uint32_t>{1, 1});
  if (c.mask) opt.mask_kind = *c.mask;
  const auto settings = attention::resolve_settings(opt, Tuning{}, shape.cache, ctx.has_shader_f16());
  try {
    return attention::algorithm_entry(algo).supports(shape, settings, ctx.adapter());
  } catch (const UnsupportedError& e) {  // a cache no binding layout can hold (KVCache refuses it too)
    return e.what();
  }
}

bool supported(Context& ctx, const Case& c, Algorithm algo, DType dtype) {
  return why_unsupported(ctx, c, algo, dtype).empty();
}

namespace {
std::vector<float> randn(std::mt19937& rng, size_t n) {
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}
}  // namespace

Result run_case(Context& ctx, const Case& c, Algorithm algo, DType dtype, uint32_t seed, const Tuning* tuning) {
  std::mt19937 rng(seed);
  const size_t row = size_t{c.Hkv} * c.D;
  // The whole cache is random: positions past the context must stay untouched.
  std::vector<float> k_host = randn(rng, c.capacity * row), v_host = randn(rng, c.capacity * row);
  KVCache cache(ctx, {c.capacity, c.Hkv, c.D, dtype});
  cache.update(Tensor::from(ctx, {c.capacity, c.Hkv, c.D}, k_host, "k_init"),
               Tensor::from(ctx, {c.capacity, c.Hkv, c.D}, v_host, "v_init"), 0);
  auto q = randn(rng, size_t{c.S} * c.Hq * c.D), kn = randn(rng, c.S * row), vn = randn(rng, c.S * row);
  Tensor tq = Tensor::from(ctx, {c.S, c.Hq, c.D}, q, "q", c.act.q);
  Tensor tk = Tensor::from(ctx, {c.S, c.Hkv, c.D}, kn, "k_new", c.act.k_new);
  Tensor tv = Tensor::from(ctx, {c.S, c.Hkv, c.D}, vn, "v_new", c.act.v_new);
  // The reference sees what the GPU reads: f16 inputs rounded.
  for (const auto& [v, dt] : {std::pair{&q, c.act.q}, {&kn, c.act.k_new}, {&vn, c.act.v_new}})
    if (dt == DType::F16)
      for (auto& x : *v) x = half::round_to_half(x);
  Tensor out(ctx, {c.S, c.Hq, c.D}, "out", c.act.out);
  out.poison();
  Sdpa sdpa(ctx);
  if (tuning) sdpa.set_tuning(*tuning);
  SdpaOptions opt;
  opt.algorithm = algo;
  opt.causal = c.causal;
  opt.scale = c.scale;
  opt.window_left = c.window_left;
  opt.softcap = c.softcap;
  opt.sinks = c.sinks;
  opt.alibi = c.alibi;
  opt.alibi_slopes = c.alibi_slopes;
  Tensor lse(ctx, {c.S, c.Hq}, "lse");
  lse.poison();
  if (c.lse) opt.lse = &lse;
  opt.profile = ctx.has_timestamps();
  // The mask, drawn last so the other inputs stay those of the same seed without one.
  const uint32_t mask_cols = c.input_pos + c.S + 5;
  std::vector<float> mask_add;
  std::vector<uint8_t> mask_vis;
  std::optional<Tensor> mask;
  if (c.mask) {
    std::normal_distribution<float> entry(0.f, 2.f);
    mask_vis.assign(size_t{c.S} * mask_cols, 1);
    mask_add.assign(mask_vis.size(), 0.f);
    for (uint32_t s = 0; s < c.S; ++s) {
      const bool empty_row = rng() % 5 == 0;
      for (uint32_t k = 0; k < mask_cols; ++k) {
        const size_t at = size_t{s} * mask_cols + k;
        mask_vis[at] = !empty_row && rng() % 10 >= 3;
        mask_add[at] = mask_vis[at] ? entry(rng) : -std::numeric_limits<float>::infinity();
      }
    }
    const bool bits = *c.mask == MaskKind::Bool;
    const std::vector<float> data = bits ? pack_bool_mask(mask_vis, c.S, mask_cols) : mask_add;
    mask.emplace(Tensor::from(ctx, {c.S, static_cast<uint32_t>(data.size() / c.S)}, data, "mask"));
    opt.mask = &*mask;
    opt.mask_kind = *c.mask;
  }
  Result res;
  res.dtype = dtype;
  res.out_dtype = c.act.out;
  res.gain = score_gain(c);
  auto info = sdpa.forward(tq, tk, tv, cache, c.input_pos, out, opt);
  res.ran = info.algorithm;
  res.gpu_ms = info.total_ms();

  reference::CallSpec p{c.S, c.Hq, c.Hkv, c.D, c.input_pos, c.causal, c.scale, c.window_left, c.softcap, c.sinks};
  if (c.alibi) p.alibi_slopes = c.alibi_slopes.empty() ? alibi_slopes(c.Hq) : c.alibi_slopes;
  if (c.mask) {
    if (*c.mask == MaskKind::Bool) p.mask_bool = mask_vis;
    else p.mask = mask_add;
    p.mask_stride = mask_cols;
  }
  reference::update_cache(k_host, v_host, kn, vn, p);
  if (dtype == DType::F16)
    for (auto* v : {&k_host, &v_host})
      for (auto& x : *v) x = half::round_to_half(x);
  res.cache_exact = cache.download_keys() == k_host && cache.download_values() == v_host;
  std::vector<double> lse_ref;
  const std::vector<double> ref = reference::attention(q, k_host, v_host, p, &lse_ref);
  res.cmp = reference::compare(out.download(), ref);
  if (c.act.out == DType::F16) {
    // A half cannot hold a tiny output relatively (a row scaled by e^(m - sink) ~ 1e-30 is 0
    // in f16): allow half the subnormal spacing per element on top of the relative bound.
    double norm2 = 0;
    for (double x : ref)
      if (std::isfinite(x)) norm2 += x * x;
    const double floor_l2 = std::ldexp(1.0, -25) * std::sqrt(static_cast<double>(ref.size()));
    res.out_underflow_rel = norm2 > 0 ? floor_l2 / std::sqrt(norm2) : floor_l2;
  }
  if (c.lse) res.lse_cmp = reference::compare(lse.download(), lse_ref);
  return res;
}

}  // namespace webattn::verify
