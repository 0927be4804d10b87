#include "webattn/reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace webattn::reference {

void update_cache(std::vector<float>& k_cache, std::vector<float>& v_cache, const std::vector<float>& k_new,
                  const std::vector<float>& v_new, const CallSpec& p) {
  const size_t row = size_t{p.kv_heads} * p.head_dim;
  const size_t n = size_t{p.seq_len} * row, at = size_t{p.input_pos} * row;
  if (k_new.size() != n || v_new.size() != n) throw std::invalid_argument("k_new/v_new size mismatch");
  if (at + n > k_cache.size() || at + n > v_cache.size())
    throw std::invalid_argument("input_pos " + std::to_string(p.input_pos) + " + S overflows the reference cache");
  std::copy(k_new.begin(), k_new.end(), k_cache.begin() + static_cast<ptrdiff_t>(at));
  std::copy(v_new.begin(), v_new.end(), v_cache.begin() + static_cast<ptrdiff_t>(at));
}

std::vector<double> attention(const std::vector<float>& q, const std::vector<float>& k_cache,
                              const std::vector<float>& v_cache, const CallSpec& p, std::vector<double>* lse) {
  const uint32_t S = p.seq_len, Hq = p.q_heads, Hkv = p.kv_heads, D = p.head_dim;
  if (Hkv == 0 || Hq % Hkv != 0) throw std::invalid_argument("q_heads must be a multiple of kv_heads");
  if (!p.alibi_slopes.empty() && p.alibi_slopes.size() != Hq)
    throw std::invalid_argument("alibi_slopes must hold one slope per query head");
  const uint32_t group = Hq / Hkv;
  const uint32_t context = p.input_pos + S;
  if (size_t{context} * Hkv * D > k_cache.size()) throw std::invalid_argument("context exceeds the reference cache");
  for (const size_t n : {p.mask.size(), p.mask_bool.size()})
    if (n != 0 && (p.mask_stride < context || n != size_t{S} * p.mask_stride))
      throw std::invalid_argument("a mask must be [S, mask_stride] with mask_stride >= input_pos + S");
  const double scale = p.scale != 0 ? p.scale : 1.0 / std::sqrt(static_cast<double>(D));
  std::vector<double> out(size_t{S} * Hq * D, 0.0);
  if (lse) lse->assign(size_t{S} * Hq, 0.0);
  std::vector<double> scores(context);
  for (uint32_t s = 0; s < S; ++s) {
    const uint32_t visible = p.causal ? p.input_pos + s + 1 : context;
    const uint32_t pos = p.input_pos + s;
    const uint32_t first = p.window_left != 0 && pos + 1 > p.window_left ? pos + 1 - p.window_left : 0;
    for (uint32_t h = 0; h < Hq; ++h) {
      const uint32_t kvh = h / group;
      const float* qrow = &q[(size_t{s} * Hq + h) * D];
      double mx = -std::numeric_limits<double>::infinity();
      // The rule on positions, then the masks' own rule.
      const auto sees = [&](uint32_t c) {
        const size_t at = size_t{s} * p.mask_stride + c;
        if (!p.mask_bool.empty() && !p.mask_bool[at]) return false;
        return p.mask.empty() || p.mask[at] != -std::numeric_limits<float>::infinity();
      };
      for (uint32_t c = first; c < visible; ++c) {
        if (!sees(c)) continue;
        const float* krow = &k_cache[(size_t{c} * Hkv + kvh) * D];
        double dot = 0;
        for (uint32_t d = 0; d < D; ++d) dot += static_cast<double>(qrow[d]) * krow[d];
        scores[c] = dot * scale;
        if (p.softcap != 0) scores[c] = p.softcap * std::tanh(scores[c] / p.softcap);
        if (!p.alibi_slopes.empty()) scores[c] += p.alibi_slopes[h] * (double(c) - double(pos));
        if (!p.mask.empty()) scores[c] += p.mask[size_t{s} * p.mask_stride + c];
        mx = std::max(mx, scores[c]);
        if (std::isnan(scores[c])) mx = scores[c];
      }
      const bool sink = !p.sinks.empty();
      if (sink) mx = std::isnan(mx) ? mx : std::max(mx, static_cast<double>(p.sinks[h]));
      double sum = sink ? std::exp(p.sinks[h] - mx) : 0.0;
      for (uint32_t c = first; c < visible; ++c) {
        if (!sees(c)) continue;
        scores[c] = std::exp(scores[c] - mx);
        sum += scores[c];
      }
      if (lse) (*lse)[size_t{s} * Hq + h] = mx + std::log(sum);
      double* o = &out[(size_t{s} * Hq + h) * D];
      for (uint32_t c = first; c < visible; ++c) {
        if (!sees(c)) continue;
        const double w = scores[c] / sum;
        const float* vrow = &v_cache[(size_t{c} * Hkv + kvh) * D];
        for (uint32_t d = 0; d < D; ++d) o[d] += w * vrow[d];
      }
    }
  }
  return out;
}

Comparison compare(const std::vector<float>& got, const std::vector<double>& ref) {
  if (got.size() != ref.size()) throw std::invalid_argument("compare: size mismatch");
  Comparison c;
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const bool gf = std::isfinite(got[i]), rf = std::isfinite(ref[i]);
    if (!gf || !rf) {
      // Non-finite values match only in kind: NaN with NaN, an infinity with the same-signed one
      // (an LSE of NaN where -inf is due, or +inf for -inf, is a wrong answer).
      const bool same = !gf && !rf &&
                        (std::isnan(got[i]) ? std::isnan(ref[i]) : !std::isnan(ref[i]) && (got[i] > 0) == (ref[i] > 0));
      if (!same) ++c.nonfinite;
      continue;
    }
    const double d = static_cast<double>(got[i]) - ref[i];
    c.max_abs = std::max(c.max_abs, std::abs(d));
    num += d * d;
    den += ref[i] * ref[i];
  }
  c.rel_l2 = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  return c;
}

}  // namespace webattn::reference
