// CPU float64 SDPA with a KV cache: the oracle every GPU path is tested against.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace webattn::reference {

// One SDPA call: its shapes, position, mask and scale.
struct CallSpec {
  uint32_t seq_len = 1;    // S: new tokens (queries) this step
  uint32_t q_heads = 1;    // Hq
  uint32_t kv_heads = 1;   // Hkv; Hq % Hkv == 0
  uint32_t head_dim = 4;   // D
  uint32_t input_pos = 0;  // absolute position of the first new token
  bool causal = true;      // row s sees cache positions 0..input_pos+s (else 0..input_pos+S-1)
  double scale = 0;        // 0: 1/sqrt(D)
  uint32_t window_left = 0;  // sliding window W: row s sees positions >= input_pos+s-W+1 too (0: none)
  double softcap = 0;        // logit soft-cap c: score <- c*tanh(score/c) after scaling (0: none)
  std::vector<float> sinks = {};  // per query head logit joining the denominator, no value (empty: none)
  // ALiBi: per query head slope m_h; score <- score + m_h * (key_pos - query_pos) after the
  // soft-cap, positions absolute (empty: none; the library's defaults: webattn::alibi_slopes).
  std::vector<float> alibi_slopes = {};
  // Explicit masks, [S, mask_stride] row-major, entry [s, c] for cache position c (empty:
  // none). mask: added to the score after ALiBi, -inf = the key is invisible to the row;
  // mask_bool: nonzero = visible. A row that sees no key: output 0, LSE -inf (the sink with one).
  std::vector<float> mask = {};
  std::vector<uint8_t> mask_bool = {};
  uint32_t mask_stride = 0;
};

// Writes k_new/v_new [S, Hkv, D] into the caches [capacity, Hkv, D] at input_pos.
void update_cache(std::vector<float>& k_cache, std::vector<float>& v_cache, const std::vector<float>& k_new,
                  const std::vector<float>& v_new, const CallSpec& p);

// out [S, Hq, D] = softmax(q·Kᵀ·scale + mask)·V over the (already updated) cache,
// every product and sum in float64. A row whose inputs hold NaN gives NaN. Keys a row
// cannot see (causal future, outside its window) are never read for it. A score is
// scale * q.k, then soft-capped, then ALiBi-biased.
// lse (optional): [S, Hq], each row's natural-log softmax denominator (sinks included).
std::vector<double> attention(const std::vector<float>& q, const std::vector<float>& k_cache,
                              const std::vector<float>& v_cache, const CallSpec& p,
                              std::vector<double>* lse = nullptr);

// Error metrics of a float result against the float64 reference.
struct Comparison {
  double max_abs = 0;
  double rel_l2 = 0;
  size_t nonfinite = 0;  // elements where either is NaN/Inf and they differ in kind (NaN, +Inf, -Inf) or finiteness
};
Comparison compare(const std::vector<float>& got, const std::vector<double>& ref);

}  // namespace webattn::reference
