// The WebGPU layer against the real Dawn library on whatever adapter is present
// (lavapipe in CI): every ABI declaration is exercised by one of these tests.
#include <gtest/gtest.h>

#include "internal.hpp"
#include "test_context.hpp"

#include <cstring>
#include <numeric>
#include <random>

#include "gpu/recorder.hpp"
#include "webattn/context.hpp"
#include "webattn/probe.hpp"

using namespace webattn;

namespace {
// The probe kernels' generated headers: a vec4 copy one element per thread, 8 vec4 fma chains.
const char* const kCopyHeader = "alias E = vec4<f32>;\nconst ITEMS: u32 = 1u;\n";
const char* const kFmaHeader = "alias V = vec4<f32>;\nconst CHAINS: u32 = 8u;\nconst UNROLL: u32 = 1u;\n";
Context& ctx() { return webattn::testing::test_context(); }
}  // namespace

TEST(Adapters, ListsAtLeastOneWithNameAndBackend) {
  auto all = Context::list_adapters();
  ASSERT_FALSE(all.empty());
  for (const auto& a : all) {
    EXPECT_FALSE(a.device.empty());
    EXPECT_NE(a.backend, "unknown");
    EXPECT_GE(a.limits.max_buffer_size, 256ull << 20);
    EXPECT_GE(a.limits.max_compute_invocations_per_workgroup, 256u);
  }
}

TEST(Adapters, UnknownNameIsAClearError) {
  ContextOptions o;
  o.adapter = "no-such-gpu-xyz";
  try {
    Context c(o);
    FAIL() << "expected an error";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-gpu-xyz"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("available"), std::string::npos);
  }
}

TEST(Device, RequestsTheAdaptersOwnLimits) {
  // WebGPU's default maxStorageBufferBindingSize is 128 MiB and maxBufferSize 256 MiB;
  // the device must carry the adapter's (larger on every Vulkan driver we run on).
  const auto& l = ctx().adapter().limits;
  auto adapters = Context::list_adapters();
  EXPECT_EQ(l.max_buffer_size, adapters[ctx().adapter().index].limits.max_buffer_size);
  EXPECT_EQ(l.max_storage_buffer_binding_size,
            adapters[ctx().adapter().index].limits.max_storage_buffer_binding_size);
}

TEST(Device, EnablesOfferedFeatures) {
  const auto& a = ctx().adapter();
  EXPECT_EQ(ctx().has_timestamps(), a.timestamp_query);
  EXPECT_EQ(ctx().has_subgroups(), a.subgroups);
  EXPECT_EQ(ctx().has_shader_f16(), a.shader_f16);
}

TEST(Buffer, RoundTripsOddSizes) {
  std::mt19937 rng(1);
  for (uint64_t n : {1ull, 3ull, 4ull, 5ull, 17ull, 1023ull, 4097ull, 100003ull}) {
    std::vector<uint8_t> data(n);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    gpu::Buffer buf(gpu_device(ctx()), n, "odd");
    buf.write(data.data(), n);
    std::vector<uint8_t> back(n);
    buf.read(back.data(), n);
    EXPECT_EQ(data, back) << "size " << n;
    if (n > 3) {  // unaligned sub-range read
      std::vector<uint8_t> mid(n - 3);
      buf.read(mid.data(), n - 3, 1);
      EXPECT_TRUE(std::equal(mid.begin(), mid.end(), data.begin() + 1)) << "size " << n;
    }
  }
}

TEST(Buffer, TypedUploadDownload) {
  std::vector<float> v(1000);
  std::iota(v.begin(), v.end(), -3.5f);
  gpu::Buffer buf(gpu_device(ctx()), v.size() * 4, "floats");
  buf.upload(v);
  EXPECT_EQ(buf.download<float>(v.size()), v);
  EXPECT_EQ(buf.download<float>(10, 40), std::vector<float>(v.begin() + 10, v.begin() + 20));
}

TEST(Buffer, OverDeviceLimitIsAClearError) {
  const uint64_t too_big = ctx().adapter().limits.max_buffer_size + 4;
  try {
    gpu::Buffer b(gpu_device(ctx()), too_big, "huge cache");
    FAIL() << "expected an error";
  } catch (const UnsupportedError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("huge cache"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::to_string(too_big)), std::string::npos) << msg;
    EXPECT_NE(msg.find("maxBufferSize"), std::string::npos) << msg;
  }
}

TEST(Buffer, OutOfRangeAccessIsAShapeError) {
  gpu::Buffer b(gpu_device(ctx()), 64, "small");
  std::vector<uint8_t> data(65);
  EXPECT_THROW(b.write(data.data(), 65), ShapeError);
  EXPECT_THROW(b.read(data.data(), 8, 60), ShapeError);
}

TEST(Pipeline, ShaderErrorCarriesTheWgslLine) {
  const std::string wgsl =
      "@group(0) @binding(0) var<storage, read_write> out: array<f32>;\n"
      "@compute @workgroup_size(1)\n"
      "fn main() {\n"
      "  out[0] = undefined_thing;\n"  // line 4
      "}\n";
  try {
    gpu::ComputePipeline p(gpu_device(ctx()), "broken", wgsl);
    FAIL() << "expected a compile error";
  } catch (const GpuError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("broken"), std::string::npos) << msg;
    EXPECT_NE(msg.find("undefined_thing"), std::string::npos) << msg;
    EXPECT_NE(msg.find(":4:"), std::string::npos) << "no line number in: " << msg;
  }
  // The device stays usable after a captured error.
  gpu::Buffer b(gpu_device(ctx()), 16, "after");
  b.upload(std::vector<float>{1, 2, 3, 4});
  EXPECT_EQ(b.download<float>(4), (std::vector<float>{1, 2, 3, 4}));
}

TEST(Pipeline, CacheHitsOnSameSpecAndMissesOnNewConstant) {
  auto& cache = gpu_device(ctx()).pipelines();
  const size_t h0 = cache.hits(), m0 = cache.misses();
  const auto& a = cache.get({"bandwidth_copy", {"bandwidth_params"}, kCopyHeader, {{"WG", 64}}});
  const auto& b = cache.get({"bandwidth_copy", {"bandwidth_params"}, kCopyHeader, {{"WG", 64}}});
  EXPECT_EQ(&a, &b);
  const auto& c = cache.get({"bandwidth_copy", {"bandwidth_params"}, kCopyHeader, {{"WG", 128}}});
  EXPECT_NE(&a, &c);
  EXPECT_EQ(cache.hits() - h0, 1u);
  EXPECT_GE(cache.misses() - m0, 1u);
}

TEST(Recorder, OverrideConstantsAndSeveralDispatchesInOneSubmit) {
  // Copy a -> b -> c in one submission, with a non-default workgroup size.
  const uint32_t n4 = 1000;
  std::vector<float> v(n4 * 4);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.25f - 7.0f;
  gpu::Buffer a(gpu_device(ctx()), v.size() * 4, "a"), b(gpu_device(ctx()), v.size() * 4, "b"),
      c(gpu_device(ctx()), v.size() * 4, "c");
  a.upload(v);
  b.fill_u32(0x7fc00001u);
  c.fill_u32(0x7fc00001u);
  const auto& p = gpu_device(ctx()).pipelines().get({"bandwidth_copy", {"bandwidth_params"}, kCopyHeader, {{"WG", 64}}});
  struct {
    uint32_t n4, row, threads;
    float unused;
  } params{n4, 16 * 64, 16 * 64, 0.f};
  gpu::Recorder rec(gpu_device(ctx()), true);
  rec.dispatch("a->b", p, params, {{1, &a}, {2, &b}}, {16, 1, 1});
  rec.dispatch("b->c", p, params, {{1, &b}, {2, &c}}, {16, 1, 1});
  rec.submit();
  EXPECT_EQ(c.download<float>(v.size()), v);
  auto t = rec.timings();
  if (ctx().has_timestamps()) {
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[0].label, "a->b");
    for (auto& pt : t) EXPECT_GT(pt.ms, 0.0) << pt.label;
  }
}

TEST(Recorder, ValidationErrorBecomesAnExceptionNamingThePass) {
  const auto& p = gpu_device(ctx()).pipelines().get({"bandwidth_copy", {"bandwidth_params"}, kCopyHeader, {{"WG", 64}}});
  gpu::Buffer a(gpu_device(ctx()), 64, "a");
  gpu::Recorder rec(gpu_device(ctx()), false);
  struct {
    uint32_t n4, row, threads;
    float unused;
  } params{4, 64, 64, 0.f};
  // Binding 2 missing: Dawn rejects the bind group.
  rec.dispatch("missing-binding", p, params, {{1, &a}}, {1, 1, 1});
  try {
    rec.submit();
    FAIL() << "expected a validation error";
  } catch (const GpuError& e) {
    EXPECT_NE(std::string(e.what()).find("missing-binding"), std::string::npos) << e.what();
  }
}

TEST(Profiler, TimesArePositiveAndGrowWithWork) {
  if (!ctx().has_timestamps()) GTEST_SKIP() << "no timestamp-query on this adapter";
  const auto& fma = gpu_device(ctx()).pipelines().get({"fma_throughput", {}, kFmaHeader, {{"WG", 64}}});
  gpu::Buffer sink(gpu_device(ctx()), 64 * 64 * 16, "sink");
  auto once = [&](uint32_t iters) {
    struct {
      uint32_t it;
      float seed;
      uint32_t row;
      float never;
    } params{iters, 1.0f, 64 * 64, -1.f};
    gpu::Recorder rec(gpu_device(ctx()), true);
    rec.dispatch("fma", fma, params, {{1, &sink}}, {64, 1, 1});
    rec.submit();
    return rec.timings()[0].ms;
  };
  // A warm-up of each, then the two sizes interleaved, the best of 5 each: on a busy CPU adapter
  // (lavapipe beside other jobs) a stall once made all of 3 back-to-back small runs 26 ms (the
  // large one takes ~30 ms there, the small one ~0.5).
  once(64);
  once(64 * 64);
  double small = 1e30, large = 1e30;
  for (int i = 0; i < 5; ++i) {
    small = std::min(small, once(64));
    large = std::min(large, once(64 * 64));
  }
  EXPECT_GT(small, 0.0);
  EXPECT_GT(large, small * 4) << "64x the work should take clearly longer";
}

TEST(Probe, ReportsPositiveBandwidthAndFmaRate) {
  if (!ctx().has_timestamps()) GTEST_SKIP() << "no timestamp-query on this adapter";
  ProbeOptions o;
  o.copy_bytes = 8 << 20;
  o.fma_iterations = 4;
  o.repeats = 3;
  o.warmup = 1;
  o.reference_only = true;
  auto r = probe_device(ctx(), o);
  EXPECT_GT(r.copy_gbps, 0.0);
  EXPECT_GT(r.read_gbps, 0.0);
  EXPECT_GT(r.fma_gflops, 0.0);
  ASSERT_EQ(r.tried.size(), 3u);  // one form per ceiling
  EXPECT_EQ(r.fma.describe(), "scalar, 8 chains, unroll x4, 8192 workgroups of 256, 4 iterations");
}

TEST(Recorder, SpanOnlyTimesTheSubmissionEndsAndNotEachPass) {
  if (!ctx().has_timestamps()) GTEST_SKIP() << "no timestamp-query on this adapter";
  const auto& fma = gpu_device(ctx()).pipelines().get({"fma_throughput", {}, kFmaHeader, {{"WG", 64}}});
  gpu::Buffer sink(gpu_device(ctx()), 64 * 64 * 16, "sink");
  struct {
    uint32_t it;
    float seed;
    uint32_t row;
    float never;
  } params{256, 1.0f, 64 * 64, -1.f};
  gpu::Recorder rec(gpu_device(ctx()), true, /*span_only=*/true);
  rec.mark("begin");
  rec.dispatch("fma-a", fma, params, {{1, &sink}}, {64, 1, 1});
  rec.dispatch("fma-b", fma, params, {{1, &sink}}, {64, 1, 1});
  rec.mark("end");
  rec.submit();
  auto t = rec.timings();
  ASSERT_EQ(t.size(), 2u);  // the two marks only
  EXPECT_EQ(t[0].label, "begin");
  EXPECT_EQ(t[1].label, "end");
  EXPECT_GT(t[1].start_ms, 0.0) << "the end mark must come after the dispatches' work";
}
