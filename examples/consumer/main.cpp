// Uses the installed webattn: one decode step checked against the float64 reference,
// then the same step through a plan (which must agree exactly and create no GPU objects).
#include <webattn/webattn.hpp>

#include <cstdio>
#include <random>

int main() {
  using namespace webattn;
  Context ctx;
  const uint32_t Hq = 8, Hkv = 2, D = 64, pos = 40, cap = 64;
  std::mt19937 rng(3);
  std::normal_distribution<float> nd;
  auto randn = [&](size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
  };
  auto kc = randn(size_t{cap} * Hkv * D), vc = randn(size_t{cap} * Hkv * D);
  auto q = randn(Hq * D), kn = randn(Hkv * D), vn = randn(Hkv * D);
  KVCache cache(ctx, {cap, Hkv, D});
  cache.update(Tensor::from(ctx, {cap, Hkv, D}, kc), Tensor::from(ctx, {cap, Hkv, D}, vc), 0);
  Sdpa sdpa(ctx);
  Tensor out = sdpa.forward(Tensor::from(ctx, {1, Hq, D}, q), Tensor::from(ctx, {1, Hkv, D}, kn),
                            Tensor::from(ctx, {1, Hkv, D}, vn), cache, pos);
  reference::CallSpec p{1, Hq, Hkv, D, pos, true, 0};
  reference::update_cache(kc, vc, kn, vn, p);
  auto cmp = reference::compare(out.download(), reference::attention(q, kc, vc, p));
  std::printf("consumer: %s on %s, max abs error %.2e vs float64\n", to_string(sdpa.choose(1, pos, cache.config(), Hq)),
              ctx.adapter().device.c_str(), cmp.max_abs);

  Tensor tq = Tensor::from(ctx, {1, Hq, D}, q), tk = Tensor::from(ctx, {1, Hkv, D}, kn),
         tv = Tensor::from(ctx, {1, Hkv, D}, vn), planned(ctx, {1, Hq, D});
  SdpaPlan plan = sdpa.plan(tq, tk, tv, cache, planned);
  plan.run(pos);  // rewrites the same cache row with the same values
  const ObjectCounts before = ctx.object_counts();
  plan.run(pos);
  const bool nothing_created = ctx.object_counts().bind_groups == before.bind_groups &&
                               ctx.object_counts().buffers == before.buffers;
  const bool same = planned.download() == out.download();
  std::printf("consumer: planned step %s forward(), %s\n", same ? "identical to" : "DIFFERS from",
              nothing_created ? "no GPU objects created" : "GPU OBJECTS CREATED");
  return cmp.max_abs <= 2e-6 && cmp.nonfinite == 0 && same && nothing_created ? 0 : 1;
}
