// Cost model of one SDPA call: the least work any algorithm must do. The benchmark
// divides these by the measured ceilings (webattn probe) to get the floor time.
#pragma once
#include <cstdint>

namespace webattn::attention {

struct Cost {
  double flops = 0;  // causal: 4 * Hq * D * sum over rows of visible keys (QK^T and PV, 2 FLOPs per FMA)
  double bytes = 0;  // q + out + the K/V context read once + k_new/v_new read and written into the cache
};

// act_elem_bytes: bytes of an activation element (q, out, k_new, v_new): 4 (f32) or 2 (f16).
inline Cost sdpa_cost(uint32_t S, uint32_t input_pos, uint32_t Hq, uint32_t Hkv, uint32_t D, uint32_t cache_elem_bytes,
                      bool causal = true, uint32_t act_elem_bytes = 4) {
  const double ctx = double(input_pos) + S;
  const double visible = causal ? double(S) * input_pos + double(S) * (S + 1) / 2 : double(S) * ctx;
  Cost c;
  c.flops = 4.0 * Hq * D * visible;
  c.bytes = 2.0 * S * Hq * D * act_elem_bytes                       // q in, out
            + 2.0 * ctx * Hkv * D * cache_elem_bytes                    // K and V context
            + 2.0 * S * Hkv * D * (double(act_elem_bytes) + cache_elem_bytes);  // cache update
  return c;
}

}  // namespace webattn::attention
