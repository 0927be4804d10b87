// decode_loop: what an LLM runtime's attention does for one layer. Prefills a prompt,
// then runs N decode steps through a plan made once, printing the GPU time of each step's
// cache update + attention (timed only at the submission's ends), how it grows with the
// context, and the GPU objects the loop created (none per step in steady state).
//
//   build/decode_loop [--prompt 512] [--steps 256] [--heads 32] [--kv-heads 8] [--head-dim 128] [--f16]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "webattn/webattn.hpp"

using namespace webattn;

int main(int argc, char** argv) {
  uint32_t prompt = 512, steps = 256, Hq = 32, Hkv = 8, D = 128;
  bool f16 = false;
  CLI::App app{"decode_loop: prefill a prompt, then decode steps through one plan, timing each step on the GPU"};
  app.add_option("--prompt", prompt, "prompt tokens (prefilled in one call)")->check(CLI::Range(1u, 1u << 20));
  app.add_option("--steps", steps, "decode steps after the prompt")->check(CLI::Range(1u, 1u << 20));
  app.add_option("--heads", Hq, "query heads")->check(CLI::Range(1u, 4096u));
  app.add_option("--kv-heads", Hkv, "key/value heads (dividing --heads)")->check(CLI::Range(1u, 4096u));
  app.add_option("--head-dim", D, "head dim (a multiple of 4)")->check(CLI::Range(4u, 1024u));
  app.add_flag("--f16", f16, "f16 KV cache (else f32)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints what was wrong
    return 2;     // a bad argument, as the webattn CLI exits
  }
  const DType dtype = f16 ? DType::F16 : DType::F32;
  try {
    Context ctx;
    std::printf("device: %s (%s)%s\n", ctx.adapter().device.c_str(), ctx.adapter().backend.c_str(),
                ctx.adapter().adapter_type == "CPU" ? " -- CPU adapter: not GPU timings" : "");
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.f, 1.f);
    auto randn = [&](size_t n) {
      std::vector<float> v(n);
      for (auto& x : v) x = nd(rng);
      return v;
    };
    KVCache cache(ctx, {prompt + steps, Hkv, D, dtype});
    Sdpa sdpa(ctx);
    SdpaOptions timed;
    timed.profile = ctx.has_timestamps();
    timed.profile_span_only = true;

    // Prefill: the whole prompt in one call.
    Tensor out_p(ctx, {prompt, Hq, D});
    auto info = sdpa.forward(Tensor::from(ctx, {prompt, Hq, D}, randn(size_t{prompt} * Hq * D)),
                             Tensor::from(ctx, {prompt, Hkv, D}, randn(size_t{prompt} * Hkv * D)),
                             Tensor::from(ctx, {prompt, Hkv, D}, randn(size_t{prompt} * Hkv * D)), cache, 0, out_p,
                             timed);
    std::printf("prefill %u tokens (%s): %.1f us\n", prompt, to_string(info.algorithm), info.span_ms() * 1e3);

    // Decode: one token per step through a plan made once; its tensors are refilled.
    Tensor q(ctx, {1, Hq, D}), k(ctx, {1, Hkv, D}), v(ctx, {1, Hkv, D}), out(ctx, {1, Hq, D});
    SdpaPlan decode = sdpa.plan(q, k, v, cache, out, timed);
    std::printf("decode plan: %s, %zu passes per step, contexts up to %u\n", to_string(decode.algorithm()),
                decode.passes_per_step(), decode.max_context());
    std::printf("%8s %10s\n", "context", "step us");
    const ObjectCounts before = ctx.object_counts();
    double sum = 0;
    for (uint32_t s = 0; s < steps; ++s) {
      q.upload(randn(size_t{Hq} * D));
      k.upload(randn(size_t{Hkv} * D));
      v.upload(randn(size_t{Hkv} * D));
      info = decode.run(prompt + s);
      sum += info.span_ms();
      if (s == 0 || (s + 1) % std::max(1u, steps / 8) == 0)
        std::printf("%8u %10.1f\n", prompt + s + 1, info.span_ms() * 1e3);
    }
    const ObjectCounts after = ctx.object_counts();
    std::printf("mean attention time per token: %.1f us over %u steps\n", sum / steps * 1e3, steps);
    std::printf("GPU objects created by the %u decode steps: %llu buffers, %llu bind groups, %llu pipelines "
                "(and %llu command encoders, one per submission)\n",
                steps, static_cast<unsigned long long>(after.buffers - before.buffers),
                static_cast<unsigned long long>(after.bind_groups - before.bind_groups),
                static_cast<unsigned long long>(after.pipelines - before.pipelines),
                static_cast<unsigned long long>(after.command_encoders - before.command_encoders));
    if (after.buffers != before.buffers || after.bind_groups != before.bind_groups ||
        after.pipelines != before.pipelines) {
      std::fprintf(stderr, "decode_loop: the planned decode loop created GPU objects\n");
      return 1;
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "decode_loop: %s\n", e.what());
    return 1;
  }
  return 0;
}
