// One random SDPA problem run on the GPU and on the float64 reference, with the
// output poisoned beforehand and the whole cache checked after the update.
// Used by `webattn check` and by the test suite.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "webattn/attention.hpp"
#include "webattn/reference.hpp"

namespace webattn::verify {

struct Case {
  uint32_t S = 1, Hq = 1, Hkv = 1, D = 4, input_pos = 0, capacity = 1;
  bool causal = true;
  float scale = 0;  // 0: 1/sqrt(D)
  uint32_t window_left = 0;  // sliding window W (0: none)
  float softcap = 0;         // logit soft-cap (0: none)
  std::vector<float> sinks = {};  // per query head sink logits (empty: none; else Hq values)
  bool lse = false;          // also ask for the log-sum-exp output and compare it
  ActivationDTypes act = {};  // dtypes of q, k_new, v_new, out (f16 inputs: the reference gets them rounded)
  bool alibi = false;        // ALiBi bias: alibi_slopes, or the paper's slopes when empty
  std::vector<float> alibi_slopes = {};
  // An explicit mask drawn from the case's seed (rows of context + 5 positions): about 30%
  // of keys hidden (-inf / bit 0), additive entries normal (sd 2), about 1 row in 5 empty.
  std::optional<MaskKind> mask = std::nullopt;
  std::string str() const;
};

// fp32 caches: max abs <= 2e-6 and rel L2 <= 1e-6 against float64.
// f16 caches: rel L2 <= 1e-5 against float64 on the f16-rounded K and V.
// With an explicit scale above 1/sqrt(D) the scores grow by scale*sqrt(D) and their
// fp32 rounding with them (the softmax sharpens); both limits scale by that factor.
// f16 inputs (q, k_new, v_new) change nothing: the reference runs on their rounded values.
// f16 out: the fp32 result x (within the limits above) is rounded once to the nearest half,
// |round(x) - x| <= u|x| with u = 2^-11 (normal halves), so ||got - ref|| <= u||x|| +
// ||x - ref|| and rel L2 <= u + (1 + u) * limit; max abs is then not bounded on its own.
struct Tolerance {
  double max_abs;
  double rel_l2;
};
Tolerance tolerance(DType dtype, double score_gain = 1.0, DType out = DType::F32);
constexpr double kHalfUnitRoundoff = 1.0 / 2048;  // u = 2^-11: relative rounding error of a normal half
double score_gain(const Case& c);  // max(1, scale * sqrt(D))

struct Result {
  reference::Comparison cmp;
  reference::Comparison lse_cmp;  // the log-sum-exp output against float64 (zeros unless Case::lse)
  bool cache_exact = true;  // every cache position holds exactly what the update should leave
  Algorithm ran = Algorithm::Auto;
  double gpu_ms = 0;
  bool passed() const;
  DType dtype = DType::F32;
  DType out_dtype = DType::F32;
  double gain = 1.0;  // score_gain of the case
  // f16 out: what rounding to a half adds beyond the relative bound, as a part of the rel L2
  // (2^-25 per element, half the subnormal spacing: outputs below 2^-14 are not rounded
  // relatively, and below 2^-25 they become 0), i.e. 2^-25 sqrt(n) / ||reference||; 0 for f32 out.
  double out_underflow_rel = 0;
};

// tuning: run with these kernel tunables instead of the adapter's saved ones. The
// activations have c.act's dtypes; the reference gets the f16 ones as rounded.
Result run_case(Context& ctx, const Case& c, Algorithm algo, DType dtype, uint32_t seed,
                const Tuning* tuning = nullptr);

// Whether `algo` can run this case at all on this device with a `dtype` cache (else
// UnsupportedError), as the algorithm table says; why_unsupported gives the reason ("" when it
// can; Auto always can). The cache's dtype matters where the cache is bound as several windows.
bool supported(Context& ctx, const Case& c, Algorithm algo, DType dtype = DType::F32);
std::string why_unsupported(Context& ctx, const Case& c, Algorithm algo, DType dtype = DType::F32);

}  // namespace webattn::verify
