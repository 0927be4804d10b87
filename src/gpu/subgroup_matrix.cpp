// See subgroup_matrix.hpp. Native Dawn only.
#ifndef __EMSCRIPTEN__
#include "gpu/subgroup_matrix.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>

#include "gpu/buffer.hpp"
#include "gpu/device.hpp"
#include "gpu/pipeline.hpp"
#include "gpu/recorder.hpp"
#include "webattn/errors.hpp"

namespace webattn::gpu::sgm {

const char* const kUnsafeToggles[2] = {"allow_unsafe_apis", "use_vulkan_memory_model"};

namespace {

WGPUStringView sv(const char* s) { return WGPUStringView{s, WGPU_STRLEN}; }

void chain_toggles(WGPUDawnTogglesDescriptor& t, const WGPUChainedStruct* next) {
  t = WGPUDawnTogglesDescriptor{};
  t.chain.sType = WGPUSType_DawnTogglesDescriptor;
  t.chain.next = next;
  t.enabledToggleCount = 2;
  t.enabledToggles = kUnsafeToggles;
}

void pump(WGPUInstance instance, const std::function<bool()>& done) {
  while (!done()) wgpuInstanceProcessEvents(instance);
}

WGPUAdapter request_adapter(WGPUInstance instance, WGPUPowerPreference pref, bool fallback, bool with_toggles,
                            WGPUBackendType backend = WGPUBackendType_Undefined) {
  WGPUDawnTogglesDescriptor toggles;
  chain_toggles(toggles, nullptr);
  WGPURequestAdapterOptions options{};
  if (with_toggles) options.nextInChain = &toggles.chain;
  options.featureLevel = WGPUFeatureLevel_Core;
  options.powerPreference = pref;
  options.forceFallbackAdapter = fallback ? 1u : 0u;
  options.backendType = backend;
  struct Req {
    bool done = false;
    WGPUAdapter adapter = nullptr;
  } req;
  WGPURequestAdapterCallbackInfo cb{};
  cb.mode = WGPUCallbackMode_AllowProcessEvents;
  cb.callback = [](WGPURequestAdapterStatus status, WGPUAdapter adapter, WGPUStringView, void* u1, void*) {
    auto* r = static_cast<Req*>(u1);
    if (status == WGPURequestAdapterStatus_Success) r->adapter = adapter;
    r->done = true;
  };
  cb.userdata1 = &req;
  wgpuInstanceRequestAdapter(instance, &options, cb);
  pump(instance, [&] { return req.done; });
  return req.adapter;
}

// The adapters as Device::enumerate_adapters finds them (same asks, same order, same
// deduplication), each requested with the toggles (or, to compare, without).
struct Adapters {
  WGPUInstance instance = nullptr;
  std::vector<WGPUAdapter> list;
  std::vector<UnsafeAdapter> info;
  // null_backend: Dawn's Null backend alone (it offers every feature and runs nothing).
  explicit Adapters(bool with_toggles = true, bool null_backend = false) {
    instance = wgpuCreateInstance(nullptr);
    if (!instance) throw GpuError("wgpuCreateInstance failed: Dawn could not start");
    if (null_backend) {
      WGPUAdapter a = request_adapter(instance, WGPUPowerPreference_Undefined, false, with_toggles, WGPUBackendType_Null);
      if (!a) throw UnsupportedError("this Dawn build offers no Null backend adapter");
      list.push_back(a);
      info.push_back(describe(a, 0));
      return;
    }
    const std::pair<WGPUPowerPreference, bool> asks[] = {{WGPUPowerPreference_HighPerformance, false},
                                                         {WGPUPowerPreference_LowPower, false},
                                                         {WGPUPowerPreference_Undefined, true}};
    std::vector<std::string> seen;
    for (auto [pref, fallback] : asks) {
      WGPUAdapter a = request_adapter(instance, pref, fallback, with_toggles);
      if (!a) continue;
      UnsafeAdapter u = describe(a, static_cast<int>(list.size()));
      const std::string key = u.device + "|" + u.backend + "|" + std::to_string(u.vendor_id) + ":" +
                              std::to_string(u.device_id);  // Device::enumerate_adapters' key
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        wgpuAdapterRelease(a);
        continue;
      }
      seen.push_back(key);
      list.push_back(a);
      info.push_back(std::move(u));
    }
  }
  ~Adapters() {
    for (auto a : list) wgpuAdapterRelease(a);
    if (instance) wgpuInstanceRelease(instance);
  }
  Adapters(const Adapters&) = delete;
  Adapters& operator=(const Adapters&) = delete;

  WGPUAdapter at(int index) const {
    if (index < 0 || index >= static_cast<int>(list.size()))
      throw UnsupportedError("no adapter " + std::to_string(index) + " (there are " + std::to_string(list.size()) +
                             ")");
    return list[index];
  }

  static UnsafeAdapter describe(WGPUAdapter a, int index) {
    UnsafeAdapter u;
    u.index = index;
    WGPUAdapterInfo info{};
    if (wgpuAdapterGetInfo(a, &info) == WGPUStatus_Success) {
      u.device = to_string(info.device);
      u.description = to_string(info.description);
      u.backend = backend_name(info.backendType);
      u.adapter_type = adapter_type_name(info.adapterType);
      u.vendor_id = info.vendorID;
      u.device_id = info.deviceID;
      u.subgroup_min_size = info.subgroupMinSize;
      u.subgroup_max_size = info.subgroupMaxSize;
      wgpuAdapterInfoFreeMembers(info);
    }
    WGPUSupportedFeatures features{};
    wgpuAdapterGetFeatures(a, &features);
    for (size_t i = 0; i < features.featureCount; ++i) u.features.push_back(static_cast<uint32_t>(features.features[i]));
    wgpuSupportedFeaturesFreeMembers(features);
    u.subgroup_matrix = wgpuAdapterHasFeature(a, WGPUFeatureName_ChromiumExperimentalSubgroupMatrix) != 0;
    u.shader_f16 = wgpuAdapterHasFeature(a, WGPUFeatureName_ShaderF16) != 0;
    if (u.subgroup_matrix) {  // chaining the configs without the feature is a Dawn error
      WGPUAdapterPropertiesSubgroupMatrixConfigs configs{};
      configs.chain.sType = WGPUSType_AdapterPropertiesSubgroupMatrixConfigs;
      WGPUAdapterInfo with{};
      with.nextInChain = &configs.chain;
      if (wgpuAdapterGetInfo(a, &with) == WGPUStatus_Success) {
        for (size_t i = 0; i < configs.configCount; ++i) {
          const auto& c = configs.configs[i];
          u.configs.push_back(MatrixConfig{static_cast<uint32_t>(c.componentType),
                                           static_cast<uint32_t>(c.resultComponentType), c.M, c.N, c.K});
        }
        wgpuAdapterPropertiesSubgroupMatrixConfigsFreeMembers(configs);
        wgpuAdapterInfoFreeMembers(with);
      } else {
        u.configs_error = "wgpuAdapterGetInfo with AdapterPropertiesSubgroupMatrixConfigs chained failed";
      }
    }
    return u;
  }
};

// A device on one adapter with the feature, wrapped as webattn's own (adopted) Device so
// that pipelines, buffers and recordings go through webattn's error scopes.
struct SgmDevice {
  Adapters adapters;
  WGPUDevice handle = nullptr;
  std::string refused;  // Dawn's message when the request failed
  std::unique_ptr<Device> device;

  SgmDevice(int index, bool need_feature_present, bool null_backend = false) : adapters(true, null_backend) {
    WGPUAdapter adapter = adapters.at(index);
    const UnsafeAdapter& info = adapters.info[index];
    if (need_feature_present && !info.subgroup_matrix)
      throw UnsupportedError("adapter " + std::to_string(index) + " (" + info.device +
                             ") does not offer chromium-experimental-subgroup-matrix with allow_unsafe_apis");
    std::vector<WGPUFeatureName> features = {WGPUFeatureName_ChromiumExperimentalSubgroupMatrix};
    for (WGPUFeatureName f : {WGPUFeatureName_Subgroups, WGPUFeatureName_ShaderF16})
      if (wgpuAdapterHasFeature(adapter, f)) features.push_back(f);
    WGPUDawnTogglesDescriptor toggles;
    chain_toggles(toggles, nullptr);
    WGPUDeviceDescriptor desc{};
    desc.nextInChain = &toggles.chain;
    desc.label = sv("webattn subgroup-matrix probe");
    desc.requiredFeatureCount = features.size();
    desc.requiredFeatures = features.data();
    desc.defaultQueue.label = sv("webattn subgroup-matrix probe queue");
    struct Req {
      bool done = false;
      WGPUDevice device = nullptr;
      std::string message;
    } req;
    WGPURequestDeviceCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_AllowProcessEvents;
    cb.callback = [](WGPURequestDeviceStatus status, WGPUDevice d, WGPUStringView message, void* u1, void*) {
      auto* r = static_cast<Req*>(u1);
      if (status == WGPURequestDeviceStatus_Success) r->device = d;
      r->message = to_string(message);
      r->done = true;
    };
    cb.userdata1 = &req;
    wgpuAdapterRequestDevice(adapter, &desc, cb);
    pump(adapters.instance, [&] { return req.done; });
    handle = req.device;
    refused = req.message;
    if (handle) device = std::make_unique<Device>(adapters.instance, handle);
  }
  ~SgmDevice() {
    device.reset();
    if (handle) {
      wgpuDeviceDestroy(handle);
      wgpuInstanceProcessEvents(adapters.instance);
      wgpuDeviceRelease(handle);
    }
  }
  SgmDevice(const SgmDevice&) = delete;
  SgmDevice& operator=(const SgmDevice&) = delete;
};

bool is_8bit(uint32_t t) {
  return t == WGPUSubgroupMatrixComponentType_U8 || t == WGPUSubgroupMatrixComponentType_I8;
}

// WGSL element type of the storage array holding components of type t.
std::string storage_type(uint32_t t) {
  if (t == WGPUSubgroupMatrixComponentType_U8) return "u32";
  if (t == WGPUSubgroupMatrixComponentType_I8) return "i32";
  return component_name(t);
}

uint16_t to_half(float f) {  // exact for the small integers used here
  if (f == 0.f) return std::signbit(f) ? 0x8000 : 0;
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  const int exp = static_cast<int>((x >> 23) & 0xff) - 127 + 15;
  const uint32_t mant = (x >> 13) & 0x3ff;
  return static_cast<uint16_t>(sign | (static_cast<uint32_t>(exp) << 10) | mant);
}

float from_half(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t x;
  if (exp == 0) {
    float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  } else if (exp == 31) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

// Host values of one matrix and their bytes as the kernel's storage array holds them.
struct HostMatrix {
  std::vector<double> values;
  std::vector<uint8_t> bytes;
};

HostMatrix make_matrix(uint32_t type, size_t count, std::mt19937& rng, bool accumulator) {
  HostMatrix m;
  m.values.resize(count);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (auto& v : m.values) {
    switch (type) {
      case WGPUSubgroupMatrixComponentType_I8: v = pick(-128, 127); break;
      case WGPUSubgroupMatrixComponentType_U8: v = pick(0, 255); break;
      case WGPUSubgroupMatrixComponentType_I32: v = accumulator ? pick(-100000, 100000) : pick(-100, 100); break;
      case WGPUSubgroupMatrixComponentType_U32: v = accumulator ? pick(0, 100000) : pick(0, 200); break;
      default: v = accumulator ? pick(-8, 8) : pick(-4, 4); break;  // floats: small integers, exact in f16
    }
  }
  if (is_8bit(type)) {
    m.bytes.resize((count + 3) / 4 * 4);
    for (size_t i = 0; i < count; ++i) m.bytes[i] = static_cast<uint8_t>(static_cast<int>(m.values[i]) & 0xff);
  } else if (type == WGPUSubgroupMatrixComponentType_F16) {
    m.bytes.resize((count * 2 + 3) / 4 * 4);
    for (size_t i = 0; i < count; ++i) {
      const uint16_t h = to_half(static_cast<float>(m.values[i]));
      std::memcpy(&m.bytes[i * 2], &h, 2);
    }
  } else {
    m.bytes.resize(count * 4);
    for (size_t i = 0; i < count; ++i) {
      if (type == WGPUSubgroupMatrixComponentType_F32) {
        const float f = static_cast<float>(m.values[i]);
        std::memcpy(&m.bytes[i * 4], &f, 4);
      } else {
        const int32_t x = static_cast<int32_t>(static_cast<int64_t>(m.values[i]));
        std::memcpy(&m.bytes[i * 4], &x, 4);
      }
    }
  }
  return m;
}

double read_value(uint32_t type, const std::vector<uint8_t>& bytes, size_t i) {
  switch (type) {
    case WGPUSubgroupMatrixComponentType_F16: {
      uint16_t h;
      std::memcpy(&h, &bytes[i * 2], 2);
      return from_half(h);
    }
    case WGPUSubgroupMatrixComponentType_F32: {
      float f;
      std::memcpy(&f, &bytes[i * 4], 4);
      return f;
    }
    case WGPUSubgroupMatrixComponentType_U32: {
      uint32_t u;
      std::memcpy(&u, &bytes[i * 4], 4);
      return u;
    }
    default: {
      int32_t s;
      std::memcpy(&s, &bytes[i * 4], 4);
      return s;
    }
  }
}

std::string kernel(const MatrixConfig& c, StrideUnit unit, uint32_t workgroup) {
  const uint32_t per = is_8bit(c.component) && unit == StrideUnit::ArrayElements ? 4 : 1;
  const bool f16 = c.component == WGPUSubgroupMatrixComponentType_F16 || c.result == WGPUSubgroupMatrixComponentType_F16;
  std::ostringstream s;
  s << "enable chromium_experimental_subgroup_matrix;\n";
  if (f16) s << "enable f16;\n";
  s << "// A (M x K) times B (K x N) plus C (M x N), all row major; stride unit: "
    << (unit == StrideUnit::ArrayElements ? "storage-array elements" : "matrix components") << "\n"
    << "alias Left = subgroup_matrix_left<" << component_name(c.component) << ", " << c.k << ", " << c.m << ">;\n"
    << "alias Right = subgroup_matrix_right<" << component_name(c.component) << ", " << c.n << ", " << c.k << ">;\n"
    << "alias Result = subgroup_matrix_result<" << component_name(c.result) << ", " << c.n << ", " << c.m << ">;\n"
    << "@group(0) @binding(1) var<storage, read> a : array<" << storage_type(c.component) << ">;\n"
    << "@group(0) @binding(2) var<storage, read> b : array<" << storage_type(c.component) << ">;\n"
    << "@group(0) @binding(3) var<storage, read_write> c : array<" << storage_type(c.result) << ">;\n"
    << "@compute @workgroup_size(" << workgroup << ")\n"
    << "fn main() {\n"
    << "  let lhs = subgroupMatrixLoad<Left>(&a, 0u, false, " << c.k / per << "u);\n"
    << "  let rhs = subgroupMatrixLoad<Right>(&b, 0u, false, " << c.n / per << "u);\n"
    << "  let acc = subgroupMatrixLoad<Result>(&c, 0u, false, " << c.n << "u);\n"
    << "  subgroupMatrixStore(&c, 0u, subgroupMatrixMultiplyAccumulate(lhs, rhs, acc), false, " << c.n << "u);\n"
    << "}\n";
  return s.str();
}

}  // namespace

std::string MatrixConfig::describe() const {
  return component_name(component) + " x " + component_name(component) + " -> " + component_name(result) + " M" +
         std::to_string(m) + " N" + std::to_string(n) + " K" + std::to_string(k);
}

std::vector<UnsafeAdapter> list_unsafe_adapters() {
  std::vector<UnsafeAdapter> out = Adapters(true).info;
  const std::vector<UnsafeAdapter> plain = Adapters(false).info;
  for (auto& u : out)
    for (const auto& p : plain)
      if (p.device == u.device && p.backend == u.backend && p.vendor_id == u.vendor_id && p.device_id == u.device_id)
        for (uint32_t f : u.features)
          if (std::find(p.features.begin(), p.features.end(), f) == p.features.end()) u.toggle_only.push_back(f);
  return out;
}

const char* feature_name(uint32_t value) {
  // webgpu.h names of google/dawn@df73f162 src/dawn/dawn.json "feature name" (see webgpu_abi.h).
  static const std::map<uint32_t, const char*> names = {
      {0x1, "DepthClipControl"},
      {0x2, "Depth32FloatStencil8"},
      {0x3, "TimestampQuery"},
      {0x4, "TextureCompressionBC"},
      {0x5, "TextureCompressionBCSliced3D"},
      {0x6, "TextureCompressionETC2"},
      {0x7, "TextureCompressionASTC"},
      {0x8, "TextureCompressionASTCSliced3D"},
      {0x9, "IndirectFirstInstance"},
      {0xA, "ShaderF16"},
      {0xB, "RG11B10UfloatRenderable"},
      {0xC, "BGRA8UnormStorage"},
      {0xD, "Float32Filterable"},
      {0xE, "Float32Blendable"},
      {0xF, "ClipDistances"},
      {0x10, "DualSourceBlending"},
      {0x11, "Subgroups"},
      {0x12, "CoreFeaturesAndLimits"},
      {0x50000, "DawnInternalUsages"},
      {0x50001, "DawnMultiPlanarFormats"},
      {0x50002, "DawnNative"},
      {0x50003, "ChromiumExperimentalTimestampQueryInsidePasses"},
      {0x50004, "ImplicitDeviceSynchronization"},
      {0x50006, "TransientAttachments"},
      {0x50007, "MSAARenderToSingleSampled"},
      {0x50008, "D3D11MultithreadProtected"},
      {0x50009, "ANGLETextureSharing"},
      {0x5000A, "PixelLocalStorageCoherent"},
      {0x5000B, "PixelLocalStorageNonCoherent"},
      {0x5000C, "Unorm16TextureFormats"},
      {0x5000D, "Snorm16TextureFormats"},
      {0x5000E, "MultiPlanarFormatExtendedUsages"},
      {0x5000F, "MultiPlanarFormatP010"},
      {0x50010, "HostMappedPointer"},
      {0x50011, "MultiPlanarRenderTargets"},
      {0x50012, "MultiPlanarFormatNv12a"},
      {0x50013, "FramebufferFetch"},
      {0x50014, "BufferMapExtendedUsages"},
      {0x50015, "AdapterPropertiesMemoryHeaps"},
      {0x50016, "AdapterPropertiesD3D"},
      {0x50017, "AdapterPropertiesVk"},
      {0x50018, "R8UnormStorage"},
      {0x50019, "DawnFormatCapabilities"},
      {0x5001A, "DawnDrmFormatCapabilities"},
      {0x5001B, "Norm16TextureFormats"},
      {0x5001C, "MultiPlanarFormatNv16"},
      {0x5001D, "MultiPlanarFormatNv24"},
      {0x5001E, "MultiPlanarFormatP210"},
      {0x5001F, "MultiPlanarFormatP410"},
      {0x50020, "SharedTextureMemoryVkDedicatedAllocation"},
      {0x50021, "SharedTextureMemoryAHardwareBuffer"},
      {0x50022, "SharedTextureMemoryDmaBuf"},
      {0x50023, "SharedTextureMemoryOpaqueFD"},
      {0x50024, "SharedTextureMemoryZirconHandle"},
      {0x50025, "SharedTextureMemoryDXGISharedHandle"},
      {0x50026, "SharedTextureMemoryD3D11Texture2D"},
      {0x50027, "SharedTextureMemoryIOSurface"},
      {0x50028, "SharedTextureMemoryEGLImage"},
      {0x50029, "SharedFenceVkSemaphoreOpaqueFD"},
      {0x5002A, "SharedFenceSyncFD"},
      {0x5002B, "SharedFenceVkSemaphoreZirconHandle"},
      {0x5002C, "SharedFenceDXGISharedHandle"},
      {0x5002D, "SharedFenceMTLSharedEvent"},
      {0x5002E, "SharedBufferMemoryD3D12Resource"},
      {0x5002F, "StaticSamplers"},
      {0x50030, "YCbCrVulkanSamplers"},
      {0x50031, "ShaderModuleCompilationOptions"},
      {0x50032, "DawnLoadResolveTexture"},
      {0x50033, "DawnPartialLoadResolveTexture"},
      {0x50034, "MultiDrawIndirect"},
      {0x50035, "DawnTexelCopyBufferRowAlignment"},
      {0x50036, "FlexibleTextureViews"},
      {0x50037, "ChromiumExperimentalSubgroupMatrix"},
      {0x50038, "SharedFenceEGLSync"},
      {0x50039, "DawnDeviceAllocatorControl"},
      {0x5003A, "TextureFormatsTier1"},
  };
  auto it = names.find(value);
  return it == names.end() ? "" : it->second;
}

std::string component_name(uint32_t value) {
  switch (value) {
    case WGPUSubgroupMatrixComponentType_F32: return "f32";
    case WGPUSubgroupMatrixComponentType_F16: return "f16";
    case WGPUSubgroupMatrixComponentType_U32: return "u32";
    case WGPUSubgroupMatrixComponentType_I32: return "i32";
    case WGPUSubgroupMatrixComponentType_U8: return "u8";
    case WGPUSubgroupMatrixComponentType_I8: return "i8";
    default: return "type" + std::to_string(value);
  }
}

std::string compile_on_null_backend(const MatrixConfig& config, StrideUnit unit) {
  SgmDevice d(0, true, true);
  if (!d.handle) throw GpuError("requesting a Null-backend device with the feature failed: " + d.refused);
  const std::string wgsl = kernel(config, unit, std::max<uint32_t>(d.device->adapter().subgroup_max_size, 1));
  ComputePipeline pipeline(*d.device, "subgroup-matrix " + config.describe() + " (Null backend)", wgsl);
  return wgsl;
}

std::string refusal_message(int index) {
  SgmDevice d(index, false);
  return d.handle ? std::string{} : d.refused;
}

MatrixConfig int8_config() {
  return MatrixConfig{WGPUSubgroupMatrixComponentType_I8, WGPUSubgroupMatrixComponentType_I32, 16, 16, 32};
}

bool needs_shader_f16(const MatrixConfig& config) {
  return config.component == WGPUSubgroupMatrixComponentType_F16 || config.result == WGPUSubgroupMatrixComponentType_F16;
}

std::string not_runnable_reason(const UnsafeAdapter& a, const MatrixConfig& config) {
  return needs_shader_f16(config) && !a.shader_f16 ? kNeedsShaderF16 : "";
}

bool reports_int8_config(const UnsafeAdapter& a) {
  return std::any_of(a.configs.begin(), a.configs.end(), [](const MatrixConfig& c) {
    return is_8bit(c.component);
  });
}

bool reports_i8_config(const UnsafeAdapter& a) {
  return std::any_of(a.configs.begin(), a.configs.end(),
                     [](const MatrixConfig& c) { return c.component == WGPUSubgroupMatrixComponentType_I8; });
}

MatmulResult run_matmul(int index, const MatrixConfig& config, StrideUnit unit, uint32_t seed) {
  if (config.m == 0 || config.n == 0 || config.k == 0 || config.m > 64 || config.n > 64 || config.k > 64)
    throw ShapeError("subgroup-matrix probe: M, N, K must be 1..64, got " + config.describe());
  if (is_8bit(config.result)) throw ShapeError("subgroup-matrix probe: 8-bit results are not supported here");
  if (is_8bit(config.component) && (config.k % 4 || config.n % 4))
    throw ShapeError("subgroup-matrix probe: 8-bit inputs need K and N multiples of 4, got " + config.describe());
  SgmDevice d(index, true);
  if (!d.handle)
    throw GpuError("requesting a device with chromium-experimental-subgroup-matrix on '" + d.adapters.info[index].device +
                   "' failed: " + d.refused);
  Device& dev = *d.device;
  if (needs_shader_f16(config) && !dev.has_shader_f16())
    throw UnsupportedError("subgroup-matrix probe: " + config.describe() + " " + kNeedsShaderF16);
  MatmulResult r;
  r.config = config;
  r.unit = unit;
  const uint32_t workgroup = std::max<uint32_t>(dev.adapter().subgroup_max_size, 1);
  r.wgsl = kernel(config, unit, workgroup);

  std::mt19937 rng(seed);
  const uint32_t M = config.m, N = config.n, K = config.k;
  HostMatrix A = make_matrix(config.component, size_t{M} * K, rng, false);
  HostMatrix B = make_matrix(config.component, size_t{K} * N, rng, false);
  HostMatrix C = make_matrix(config.result, size_t{M} * N, rng, true);

  ComputePipeline pipeline(dev, "subgroup-matrix " + config.describe(), r.wgsl);
  Buffer a(dev, A.bytes.size(), "sgm a"), b(dev, B.bytes.size(), "sgm b"), c(dev, C.bytes.size(), "sgm c");
  a.write(A.bytes.data(), A.bytes.size());
  b.write(B.bytes.data(), B.bytes.size());
  c.write(C.bytes.data(), C.bytes.size());
  Recorder rec(dev, false);
  rec.dispatch("subgroup-matrix matmul", pipeline, nullptr, 0, {{1, &a}, {2, &b}, {3, &c}}, Grid{1, 1, 1});
  rec.submit();
  std::vector<uint8_t> out(C.bytes.size());
  c.read(out.data(), out.size());
  dev.check();

  for (uint32_t i = 0; i < M; ++i)
    for (uint32_t j = 0; j < N; ++j) {
      double want = C.values[size_t{i} * N + j];
      for (uint32_t k = 0; k < K; ++k) want += A.values[size_t{i} * K + k] * B.values[size_t{k} * N + j];
      if (config.result == WGPUSubgroupMatrixComponentType_U32) want = static_cast<double>(static_cast<uint32_t>(
                                                                      static_cast<int64_t>(want)));
      const double got = read_value(config.result, out, size_t{i} * N + j);
      const double diff = std::isfinite(got) ? std::fabs(got - want) : INFINITY;
      r.max_abs_diff = std::max(r.max_abs_diff, diff);
      if (diff > 0) ++r.mismatches;
    }
  r.pass = r.mismatches == 0;
  return r;
}

}  // namespace webattn::gpu::sgm
#endif  // __EMSCRIPTEN__
