// The README's "API tour": the lines between the markers are copied there verbatim (the test
// readme_api_tour checks that they are the same), and the test suite builds and runs this
// program, which fails (exit 1) if the prefill misses the float64 reference or the bad call
// is not refused.
#include <webattn/webattn.hpp>

#include <cstdio>
#include <random>

int main() {
  using namespace webattn;
  std::mt19937 rng(2177);
  std::normal_distribution<float> normal;
  const auto randn = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
  };
  bool refused = false;
  // [tour]
  Context ctx;  // the default adapter (`webattn devices` lists them)
  const uint32_t S = 48, Hq = 8, Hkv = 2, D = 64, C = 128;  // GQA: 4 query heads per kv head
  KVCache cache(ctx, {.capacity = C, .kv_heads = Hkv, .head_dim = D, .dtype = DType::F16});
  Sdpa sdpa(ctx);

  // Prefill: S new tokens at input_pos 0; q [S, Hq, D], k_new and v_new [S, Hkv, D] (f32 or f16).
  const std::vector<float> q = randn(S * Hq * D), k = randn(S * Hkv * D), v = randn(S * Hkv * D);
  Tensor out(ctx, {S, Hq, D});
  ForwardInfo info = sdpa.forward(Tensor::from(ctx, {S, Hq, D}, q), Tensor::from(ctx, {S, Hkv, D}, k),
                                  Tensor::from(ctx, {S, Hkv, D}, v), cache, /*input_pos=*/0, out);

  // The float64 reference over the cache's own (f16-rounded) K and V.
  const reference::CallSpec spec{.seq_len = S, .q_heads = Hq, .kv_heads = Hkv, .head_dim = D};
  const reference::Comparison cmp = reference::compare(
      out.download(), reference::attention(q, cache.download_keys(), cache.download_values(), spec));
  std::printf("prefill: %s, rel L2 %.1e against float64\n", to_string(info.algorithm), cmp.rel_l2);

  // Decode through a plan: pipelines, bind groups and scratch made once; each step refills the
  // inputs and runs (or records into a host's encoder: step.encode(encoder, pos)).
  Tensor q1(ctx, {1, Hq, D}), k1(ctx, {1, Hkv, D}), v1(ctx, {1, Hkv, D}), o1(ctx, {1, Hq, D});
  SdpaPlan step = sdpa.plan(q1, k1, v1, cache, o1);
  for (uint32_t pos = S; pos < S + 16; ++pos) {
    q1.upload(randn(Hq * D));
    k1.upload(randn(Hkv * D));
    v1.upload(randn(Hkv * D));
    step.run(pos);
  }

  // Variants are options: a sliding window, attention sinks, the log-sum-exp out; GPU timings.
  SdpaOptions opt;
  opt.window_left = 32;
  opt.sinks = std::vector<float>(Hq, 0.5f);
  Tensor lse(ctx, {1, Hq});
  opt.lse = &lse;
  opt.profile = true;
  for (int call = 0; call < 2; ++call)  // timed again once the first call has built the pipelines
    info = sdpa.forward(q1, k1, v1, cache, S + 16, o1, opt);
  for (const StageTime& st : info.stages) std::printf("  %s: %.1f us\n", st.stage.c_str(), st.ms * 1e3);

  // Bad input is an exception naming the values: one token at position C overflows the cache.
  try {
    sdpa.forward(q1, k1, v1, cache, C, o1);
  } catch (const ShapeError& e) {
    std::printf("refused: %s\n", e.what());
    refused = true;
  }
  // [/tour]
  const bool ok = cmp.rel_l2 <= 1e-5 && cmp.nonfinite == 0 && refused;
  std::printf("api_tour: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
