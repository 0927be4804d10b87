// Dawn's experimental chromium-experimental-subgroup-matrix (issue #12 item 4, feasibility):
// the ABI values webattn declares for it (checked against Dawn's own messages, which name what
// they refuse, so this part runs on adapters without the feature, e.g. lavapipe), the probe's
// kernels against this library's Tint (on Dawn's Null backend), and, where an adapter offers
// the feature with allow_unsafe_apis, the products the kernels compute.
#include <gtest/gtest.h>

#include <string>

#include "gpu/device.hpp"
#include "gpu/subgroup_matrix.hpp"
#include "gpu/webgpu_abi.h"
#include "webattn/errors.hpp"

using namespace webattn::gpu;

namespace {

std::vector<sgm::UnsafeAdapter> adapters_with(bool feature) {
  std::vector<sgm::UnsafeAdapter> out;
  for (auto& a : sgm::list_unsafe_adapters())
    if (a.subgroup_matrix == feature) out.push_back(a);
  return out;
}

constexpr const char* kNoFeature =
    "no adapter offers chromium-experimental-subgroup-matrix with allow_unsafe_apis "
    "(lavapipe offers none; see `webattn devices --unsafe-features`)";

// The default adapter, requested with the probe's toggles, through the raw API.
struct RawAdapter {
  WGPUInstance instance = wgpuCreateInstance(nullptr);
  WGPUAdapter adapter = nullptr;
  RawAdapter() {
    WGPUDawnTogglesDescriptor t{};
    t.chain.sType = WGPUSType_DawnTogglesDescriptor;
    t.enabledToggleCount = 2;
    t.enabledToggles = sgm::kUnsafeToggles;
    WGPURequestAdapterOptions o{};
    o.nextInChain = &t.chain;
    o.featureLevel = WGPUFeatureLevel_Core;
    bool done = false;
    struct Out {
      bool* done;
      WGPUAdapter* adapter;
    } out{&done, &adapter};
    WGPURequestAdapterCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_AllowProcessEvents;
    cb.callback = [](WGPURequestAdapterStatus s, WGPUAdapter a, WGPUStringView, void* u, void*) {
      auto* o = static_cast<Out*>(u);
      if (s == WGPURequestAdapterStatus_Success) *o->adapter = a;
      *o->done = true;
    };
    cb.userdata1 = &out;
    wgpuInstanceRequestAdapter(instance, &o, cb);
    while (!done) wgpuInstanceProcessEvents(instance);
  }
  ~RawAdapter() {
    if (adapter) wgpuAdapterRelease(adapter);
    wgpuInstanceRelease(instance);
  }
};

}  // namespace

TEST(SubgroupMatrixAbi, DawnNamesTheFeatureValueItRefuses) {
  const auto without = adapters_with(false);
  if (without.empty()) GTEST_SKIP() << "every adapter offers the feature: nothing refuses it";
  for (const auto& a : without) {
    const std::string msg = sgm::refusal_message(a.index);
    EXPECT_NE(msg.find("FeatureName::ChromiumExperimentalSubgroupMatrix"), std::string::npos)
        << a.device << ": " << msg;
  }
}

TEST(SubgroupMatrixAbi, DawnNamesTheConfigsSType) {
  RawAdapter raw;
  ASSERT_NE(raw.adapter, nullptr);
  if (wgpuAdapterHasFeature(raw.adapter, WGPUFeatureName_ChromiumExperimentalSubgroupMatrix))
    GTEST_SKIP() << "the default adapter has the feature: Dawn accepts the chain (the configs tests cover it)";
  // Without the feature Dawn refuses the chained struct by the feature's name; an sType it
  // did not expect on WGPUAdapterInfo would be refused as an unexpected chained struct.
  WGPUAdapterPropertiesSubgroupMatrixConfigs configs{};
  configs.chain.sType = WGPUSType_AdapterPropertiesSubgroupMatrixConfigs;
  WGPUAdapterInfo info{};
  info.nextInChain = &configs.chain;
  ::testing::internal::CaptureStderr();
  const WGPUStatus status = wgpuAdapterGetInfo(raw.adapter, &info);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(status, WGPUStatus_Error);
  EXPECT_NE(err.find("Feature ChromiumExperimentalSubgroupMatrix is not available"), std::string::npos) << err;
}

TEST(SubgroupMatrixAbi, FeatureNamesCoverWhatAdaptersReport) {
  for (const auto& a : sgm::list_unsafe_adapters()) {
    EXPECT_FALSE(a.features.empty()) << a.device;
    for (uint32_t f : a.features) EXPECT_STRNE(sgm::feature_name(f), "") << a.device << ": 0x" << std::hex << f;
  }
}

TEST(SubgroupMatrixAbi, TogglesReachTheAdapter) {
  // allow_unsafe_apis makes Dawn report its Experimental features (e.g. ChromiumExperimental
  // TimestampQueryInsidePasses): some feature appears only with the toggles.
  bool any = false;
  for (const auto& a : sgm::list_unsafe_adapters()) any |= !a.toggle_only.empty();
  EXPECT_TRUE(any);
}

// The kernels of every component type, against this library's Tint and Dawn validation.
TEST(SubgroupMatrixKernel, CompilesOnTheNullBackend) {
  const sgm::MatrixConfig configs[] = {
      sgm::int8_config(),
      {WGPUSubgroupMatrixComponentType_U8, WGPUSubgroupMatrixComponentType_U32, 16, 8, 32},
      {WGPUSubgroupMatrixComponentType_F16, WGPUSubgroupMatrixComponentType_F32, 16, 16, 16},
      {WGPUSubgroupMatrixComponentType_F16, WGPUSubgroupMatrixComponentType_F16, 16, 8, 16},
      {WGPUSubgroupMatrixComponentType_F32, WGPUSubgroupMatrixComponentType_F32, 8, 8, 8},
      {WGPUSubgroupMatrixComponentType_I32, WGPUSubgroupMatrixComponentType_I32, 8, 8, 8},
  };
  for (const auto& c : configs)
    for (auto unit : {sgm::StrideUnit::ArrayElements, sgm::StrideUnit::Components}) {
      try {
        const std::string wgsl = sgm::compile_on_null_backend(c, unit);
        EXPECT_NE(wgsl.find("subgroupMatrixMultiplyAccumulate"), std::string::npos);
      } catch (const webattn::UnsupportedError& e) {
        GTEST_SKIP() << e.what();
      } catch (const webattn::Error& e) {
        ADD_FAILURE() << c.describe() << ": " << e.what();
      }
    }
  // Negative control (the Null backend does compile): no f32 x f32 -> i32 overload exists.
  const std::string err = [] {
    try {
      sgm::compile_on_null_backend(
          {WGPUSubgroupMatrixComponentType_F32, WGPUSubgroupMatrixComponentType_I32, 8, 8, 8},
          sgm::StrideUnit::ArrayElements);
    } catch (const webattn::GpuError& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  EXPECT_NE(err.find("subgroupMatrixMultiplyAccumulate"), std::string::npos) << err;
}

// The configuration issue #12 asks about. This library (Dawn of June 2025) has no u8 / i8
// component types in its API, so its Vulkan backend never reports them; the kernel is tried
// anyway: one of the two readings of the stride for packed 8-bit components must be right.
TEST(SubgroupMatrixKernel, Int8ProductMatchesTheCpu) {
  const auto with = adapters_with(true);
  if (with.empty()) GTEST_SKIP() << kNoFeature;
  for (const auto& a : with) {
    bool any = false;
    for (auto unit : {sgm::StrideUnit::ArrayElements, sgm::StrideUnit::Components}) {
      const char* name = unit == sgm::StrideUnit::ArrayElements ? "stride in array elements" : "stride in components";
      try {
        const auto r = sgm::run_matmul(a.index, sgm::int8_config(), unit, 7);
        std::printf("%s: i8 x i8 -> i32 M16 N16 K32, %s: %s, max abs diff %g\n", a.device.c_str(), name,
                    r.pass ? "pass" : "FAIL", r.max_abs_diff);
        any |= r.pass;
      } catch (const webattn::Error& e) {
        std::printf("%s: i8 x i8 -> i32 M16 N16 K32, %s: ERROR %s\n", a.device.c_str(), name, e.what());
      }
    }
    EXPECT_TRUE(any) << a.device << ": no stride reading gave the CPU's product";
  }
}

TEST(SubgroupMatrixKernel, EveryReportedConfigMatchesTheCpu) {
  const auto with = adapters_with(true);
  if (with.empty()) GTEST_SKIP() << kNoFeature;
  for (const auto& a : with) {
    EXPECT_TRUE(a.configs_error.empty()) << a.configs_error;
    EXPECT_FALSE(a.configs.empty()) << a.device << " has the feature but reports no configuration";
    for (const auto& c : a.configs) {
      std::printf("%s: reported %s\n", a.device.c_str(), c.describe().c_str());
      try {
        const auto r = sgm::run_matmul(a.index, c, sgm::StrideUnit::ArrayElements, 3);
        EXPECT_TRUE(r.pass) << a.device << " " << c.describe() << ": max abs diff " << r.max_abs_diff << ", "
                            << r.mismatches << " entries wrong\n" << r.wgsl;
      } catch (const webattn::Error& e) {
        ADD_FAILURE() << a.device << " " << c.describe() << ": " << e.what();
      }
    }
  }
}
