// Plans: plan once, run many. Every step matches the float64 reference, and in steady
// state a step creates no buffers, bind groups, pipelines or query sets.
// Shapes reuse the kernels' variants of hard_inputs_test (D=8, Hq=4, Hkv=2): no extra
// cold shader compiles on lavapipe.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "internal.hpp"
#include "gpu/device.hpp"
#include "gpu/pipeline.hpp"
#include "test_context.hpp"
#include "webattn/webattn.hpp"

using namespace webattn;

namespace {

Context& ctx() { return webattn::testing::test_context(); }

constexpr uint32_t kHq = 4, kHkv = 2, kD = 8;

using webattn::testing::randn;

// The host side of a layer: the cache contents the reference sees.
struct HostCache {
  std::vector<float> k, v;
  explicit HostCache(uint32_t capacity) : k(size_t{capacity} * kHkv * kD, 0.f), v(k) {}
};

// One step's fresh inputs, uploaded into the plan's tensors; returns the reference output.
struct Step {
  std::vector<float> q, kn, vn;
};
Step fresh(std::mt19937& rng, uint32_t S) {
  return {randn(rng, size_t{S} * kHq * kD), randn(rng, size_t{S} * kHkv * kD), randn(rng, size_t{S} * kHkv * kD)};
}
void upload(const Step& s, Tensor& q, Tensor& k, Tensor& v) {
  q.upload(s.q);
  k.upload(s.kn);
  v.upload(s.vn);
}
std::vector<double> expected(HostCache& host, const Step& s, uint32_t S, uint32_t pos) {
  reference::CallSpec p{S, kHq, kHkv, kD, pos, true, 0};
  reference::update_cache(host.k, host.v, s.kn, s.vn, p);
  return reference::attention(s.q, host.k, host.v, p);
}

void expect_close(const std::vector<float>& got, const std::vector<double>& ref, const std::string& what) {
  auto cmp = reference::compare(got, ref);
  EXPECT_LE(cmp.max_abs, 2e-6) << what;
  EXPECT_LE(cmp.rel_l2, 1e-6) << what;
  EXPECT_EQ(cmp.nonfinite, 0u) << what;
}

// Every pipeline-cache lookup (each builds and hashes a shader's text); a step makes none.
size_t pipeline_lookups() {
  const auto& cache = gpu_device(ctx()).pipelines();
  return cache.hits() + cache.misses();
}

bool same_objects(const ObjectCounts& a, const ObjectCounts& b) {
  return a.buffers == b.buffers && a.bind_groups == b.bind_groups && a.pipelines == b.pipelines &&
         a.query_sets == b.query_sets;
}

std::string str(const ObjectCounts& c) {
  return "buffers " + std::to_string(c.buffers) + ", bind groups " + std::to_string(c.bind_groups) + ", pipelines " +
         std::to_string(c.pipelines) + ", query sets " + std::to_string(c.query_sets) + ", encoders " +
         std::to_string(c.command_encoders);
}

}  // namespace

// The decode loop: prefill a prompt with one plan, then decode with another;
// each decode step creates nothing and encodes the same number of passes.
TEST(Plan, DecodeLoopCreatesNoGpuObjectsInSteadyState) {
  for (bool timed : {false, true}) {
    SCOPED_TRACE(timed ? "timed (span-only timestamps)" : "untimed");
    const uint32_t prompt = 6, cap = 40;
    std::mt19937 rng(21);
    HostCache host(cap);
    KVCache cache(ctx(), {cap, kHkv, kD});
    Sdpa sdpa(ctx());
    SdpaOptions opt;
    opt.profile = timed;
    opt.profile_span_only = timed;

    Tensor pq(ctx(), {prompt, kHq, kD}), pk(ctx(), {prompt, kHkv, kD}), pv(ctx(), {prompt, kHkv, kD});
    Tensor pout(ctx(), {prompt, kHq, kD});
    auto prefill = sdpa.plan(pq, pk, pv, cache, pout, opt);
    Step s0 = fresh(rng, prompt);
    upload(s0, pq, pk, pv);
    pout.poison();
    prefill.run(0);
    expect_close(pout.download(), expected(host, s0, prompt, 0), "prefill");

    Tensor q(ctx(), {1, kHq, kD}), k(ctx(), {1, kHkv, kD}), v(ctx(), {1, kHkv, kD}), out(ctx(), {1, kHq, kD});
    auto decode = sdpa.plan(q, k, v, cache, out, opt);
    EXPECT_EQ(decode.algorithm(), Algorithm::SplitKvDecode);
    EXPECT_EQ(decode.passes_per_step(), 2u);  // split-kv, then its merge, which also writes the cache update
    EXPECT_EQ(decode.max_context(), cap);
    const ObjectCounts planned = ctx().object_counts();
    for (uint32_t pos = prompt; pos < cap; ++pos) {
      Step s = fresh(rng, 1);
      upload(s, q, k, v);
      const ObjectCounts before = ctx().object_counts();
      ForwardInfo info = decode.run(pos);
      const ObjectCounts after = ctx().object_counts();
      EXPECT_TRUE(same_objects(before, after)) << "step at " << pos << ": before " << str(before) << "; after "
                                                << str(after);
      EXPECT_EQ(after.command_encoders, before.command_encoders + 1) << "one encoder per submission";
      if (timed && ctx().has_timestamps()) {
        EXPECT_EQ(info.stages.size(), 2u);  // begin and end marks
        EXPECT_GT(info.span_ms(), 0.0);
      }
      if (pos % 8 == 0 || pos + 1 == cap) {  // readbacks make staging buffers: not every step
        out.poison();
        decode.run(pos);  // same step again: the cache row is rewritten with the same values
        expect_close(out.download(), expected(host, s, 1, pos), "decode at " + std::to_string(pos));
      } else {
        expected(host, s, 1, pos);
      }
    }
    // Plans made everything up front: the whole loop added only readback staging buffers.
    EXPECT_EQ(ctx().object_counts().bind_groups, planned.bind_groups);
    EXPECT_EQ(ctx().object_counts().pipelines, planned.pipelines);
  }
}

// Every algorithm as a plan: chunked prefill of 3 tokens per step at growing positions.
TEST(Plan, EveryAlgorithmMatchesTheReferenceAtEveryStep) {
  for (Algorithm algo : all_algorithms()) {
    SCOPED_TRACE(to_string(algo));
    const uint32_t S = 3, cap = 23;
    std::mt19937 rng(33);
    HostCache host(cap);
    KVCache cache(ctx(), {cap, kHkv, kD});
    Sdpa sdpa(ctx());
    SdpaOptions opt;
    opt.algorithm = algo;
    Tensor q(ctx(), {S, kHq, kD}), k(ctx(), {S, kHkv, kD}), v(ctx(), {S, kHkv, kD}), out(ctx(), {S, kHq, kD});
    auto plan = sdpa.plan(q, k, v, cache, out, opt);
    EXPECT_EQ(plan.algorithm(), algo);
    ObjectCounts first{};
    for (uint32_t pos = 0; pos + S <= cap; pos += S) {
      Step s = fresh(rng, S);
      upload(s, q, k, v);
      out.poison();
      const ObjectCounts before = ctx().object_counts();
      const size_t lookups = pipeline_lookups();
      plan.run(pos);
      if (pos == 0) first = before;
      EXPECT_TRUE(same_objects(before, ctx().object_counts())) << "step at " << pos;
      EXPECT_EQ(pipeline_lookups(), lookups) << "a step looked up a pipeline at " << pos;
      expect_close(out.download(), expected(host, s, S, pos), "step at " + std::to_string(pos));
    }
    EXPECT_EQ(ctx().object_counts().bind_groups, first.bind_groups);
  }
}

// flash-prefill splitting the context (forced): the plan's scratch holds the partial states of
// its longest context; each step splits its own span (fewer, shorter chunks early on).
TEST(Plan, FlashPrefillSplitContextMatchesTheReferenceAtEveryStep) {
  setenv("WEBATTN_FLASH_CHUNKS", "5", 1);
  const uint32_t S = 10, cap = 170;
  std::mt19937 rng(35);
  HostCache host(cap);
  KVCache cache(ctx(), {cap, kHkv, kD});
  Sdpa sdpa(ctx());
  SdpaOptions opt;
  opt.algorithm = Algorithm::FlashPrefill;
  Tensor q(ctx(), {S, kHq, kD}), k(ctx(), {S, kHkv, kD}), v(ctx(), {S, kHkv, kD}), out(ctx(), {S, kHq, kD});
  auto plan = sdpa.plan(q, k, v, cache, out, opt);
  unsetenv("WEBATTN_FLASH_CHUNKS");
  EXPECT_EQ(plan.passes_per_step(), 3u) << "cache update, flash-prefill over chunks, their merge";
  for (uint32_t pos = 0; pos + S <= cap; pos += S) {
    Step s = fresh(rng, S);
    upload(s, q, k, v);
    out.poison();
    plan.run(pos);
    expect_close(out.download(), expected(host, s, S, pos), "step at " + std::to_string(pos));
  }
}

// A host's encoder holding several steps of one plan, with copies refilling the inputs
// in between: each step's parameters must be the ones recorded with it.
TEST(Plan, SeveralStepsInOneHostEncoder) {
  const uint32_t cap = 16, steps = 4, start = 5;
  std::mt19937 rng(44);
  HostCache host(cap);
  KVCache cache(ctx(), {cap, kHkv, kD});
  Sdpa sdpa(ctx());
  // Fill positions 0..start-1 first.
  Step warm = fresh(rng, start);
  sdpa.forward(Tensor::from(ctx(), {start, kHq, kD}, warm.q), Tensor::from(ctx(), {start, kHkv, kD}, warm.kn),
               Tensor::from(ctx(), {start, kHkv, kD}, warm.vn), cache, 0);
  expected(host, warm, start, 0);

  Tensor q(ctx(), {1, kHq, kD}), k(ctx(), {1, kHkv, kD}), v(ctx(), {1, kHkv, kD}), out(ctx(), {1, kHq, kD});
  auto plan = sdpa.plan(q, k, v, cache, out);
  std::vector<Step> inputs;
  std::vector<float> all_q, all_k, all_v;
  for (uint32_t i = 0; i < steps; ++i) {
    inputs.push_back(fresh(rng, 1));
    all_q.insert(all_q.end(), inputs.back().q.begin(), inputs.back().q.end());
    all_k.insert(all_k.end(), inputs.back().kn.begin(), inputs.back().kn.end());
    all_v.insert(all_v.end(), inputs.back().vn.begin(), inputs.back().vn.end());
  }
  Tensor src_q = Tensor::from(ctx(), {steps, kHq, kD}, all_q), src_k = Tensor::from(ctx(), {steps, kHkv, kD}, all_k),
         src_v = Tensor::from(ctx(), {steps, kHkv, kD}, all_v);
  Tensor outs(ctx(), {steps, kHq, kD});
  outs.poison();

  WGPUCommandEncoder enc = wgpuDeviceCreateCommandEncoder(ctx().device_handle(), nullptr);
  const uint64_t qb = kHq * kD * 4, kb = kHkv * kD * 4;
  for (uint32_t i = 0; i < steps; ++i) {
    wgpuCommandEncoderCopyBufferToBuffer(enc, src_q.wgpu_buffer(), i * qb, q.wgpu_buffer(), 0, qb);
    wgpuCommandEncoderCopyBufferToBuffer(enc, src_k.wgpu_buffer(), i * kb, k.wgpu_buffer(), 0, kb);
    wgpuCommandEncoderCopyBufferToBuffer(enc, src_v.wgpu_buffer(), i * kb, v.wgpu_buffer(), 0, kb);
    plan.encode(enc, start + i);
    wgpuCommandEncoderCopyBufferToBuffer(enc, out.wgpu_buffer(), 0, outs.wgpu_buffer(), i * qb, qb);
  }
  gpu_device(ctx()).scoped("submitting the host encoder", [&] {
    WGPUCommandBuffer cmd = wgpuCommandEncoderFinish(enc, nullptr);
    wgpuQueueSubmit(gpu_device(ctx()).queue(), 1, &cmd);
    wgpuCommandBufferRelease(cmd);
  });
  wgpuCommandEncoderRelease(enc);

  auto got = outs.download();
  for (uint32_t i = 0; i < steps; ++i) {
    auto ref = expected(host, inputs[i], 1, start + i);
    expect_close(std::vector<float>(got.begin() + i * kHq * kD, got.begin() + (i + 1) * kHq * kD), ref,
                 "step " + std::to_string(i));
  }
  auto keys = cache.download_keys();
  EXPECT_EQ(std::vector<float>(keys.begin(), keys.begin() + (start + steps) * kHkv * kD),
            std::vector<float>(host.k.begin(), host.k.begin() + (start + steps) * kHkv * kD));
}

TEST(Plan, PositionsPastMaxContextAreRejected) {
  KVCache cache(ctx(), {16, kHkv, kD});
  Sdpa sdpa(ctx());
  Tensor q(ctx(), {2, kHq, kD}), k(ctx(), {2, kHkv, kD}), v(ctx(), {2, kHkv, kD}), out(ctx(), {2, kHq, kD});
  SdpaOptions opt;
  opt.max_context = 10;
  opt.algorithm = Algorithm::FlashPrefill;
  auto plan = sdpa.plan(q, k, v, cache, out, opt);
  EXPECT_EQ(plan.max_context(), 10u);
  try {
    plan.run(9);
    FAIL() << "no error";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("input_pos 9 + S 2 exceeds the plan's max_context 10"), std::string::npos)
        << e.what();
  }
  opt.max_context = 17;
  try {
    sdpa.plan(q, k, v, cache, out, opt);
    FAIL() << "no error";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("max_context 17 exceeds cache capacity 16"), std::string::npos) << e.what();
  }
}

// A model step: several layers (each its own cache and plan) stepped in one submission,
// repeated; each layer's output matches the reference and the submission creates nothing.
TEST(Plan, RunStepsStepsEveryLayerInOneSubmission) {
  const uint32_t layers = 3, cap = 12, pos = 7;
  std::mt19937 rng(55);
  Sdpa sdpa(ctx());
  std::vector<HostCache> host;
  std::vector<std::unique_ptr<KVCache>> caches;
  std::vector<Tensor> q, k, v, out;
  std::vector<SdpaPlan> plans;
  std::vector<std::vector<double>> want;
  for (uint32_t l = 0; l < layers; ++l) {
    host.emplace_back(cap);
    caches.push_back(std::make_unique<KVCache>(ctx(), KVCacheConfig{cap, kHkv, kD}));
    Step warm = fresh(rng, pos);  // positions 0..pos-1
    sdpa.forward(Tensor::from(ctx(), {pos, kHq, kD}, warm.q), Tensor::from(ctx(), {pos, kHkv, kD}, warm.kn),
                 Tensor::from(ctx(), {pos, kHkv, kD}, warm.vn), *caches[l], 0);
    expected(host[l], warm, pos, 0);
    Step s = fresh(rng, 1);
    q.push_back(Tensor::from(ctx(), {1, kHq, kD}, s.q));
    k.push_back(Tensor::from(ctx(), {1, kHkv, kD}, s.kn));
    v.push_back(Tensor::from(ctx(), {1, kHkv, kD}, s.vn));
    out.emplace_back(ctx(), std::vector<uint32_t>{1, kHq, kD});
    want.push_back(expected(host[l], s, 1, pos));
  }
  for (uint32_t l = 0; l < layers; ++l) plans.push_back(sdpa.plan(q[l], k[l], v[l], *caches[l], out[l]));
  std::vector<SdpaPlan*> all;
  for (auto& p : plans) all.push_back(&p);
  SdpaPlan::run_steps(all, pos, 1, true);  // the first timed submission makes the timestamp objects
  for (auto& o : out) o.poison();
  const ObjectCounts before = ctx().object_counts();
  ForwardInfo info = SdpaPlan::run_steps(all, pos, 4, true);
  EXPECT_TRUE(same_objects(before, ctx().object_counts())) << "before " << str(before) << "; after "
                                                           << str(ctx().object_counts());
  if (ctx().has_timestamps()) {
    EXPECT_EQ(info.stages.size(), 2u);  // begin and end marks
    EXPECT_GT(info.span_ms(), 0.0);
  }
  for (uint32_t l = 0; l < layers; ++l) expect_close(out[l].download(), want[l], "layer " + std::to_string(l));

  EXPECT_THROW(SdpaPlan::run_steps({}, pos), ShapeError);
  EXPECT_THROW(SdpaPlan::run_steps(all, pos, 0), ShapeError);
  EXPECT_THROW(SdpaPlan::run_steps({all[0], nullptr}, pos), ShapeError);
  EXPECT_THROW(SdpaPlan::run_steps(all, cap), ShapeError);
}
