#include "gpu/device.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>

#include "gpu/pipeline.hpp"

namespace webattn::gpu {

std::string to_string(WGPUStringView view) {
  if (view.data == nullptr) return {};
  if (view.length == WGPU_STRLEN) return std::string(view.data);
  return std::string(view.data, view.length);
}

namespace {

WGPUStringView sv(const char* s) { return WGPUStringView{s, WGPU_STRLEN}; }

}  // namespace

const char* backend_name(WGPUBackendType t) {
  switch (t) {
    case WGPUBackendType_Null: return "Null";
    case WGPUBackendType_WebGPU: return "WebGPU";
    case WGPUBackendType_D3D11: return "D3D11";
    case WGPUBackendType_D3D12: return "D3D12";
    case WGPUBackendType_Metal: return "Metal";
    case WGPUBackendType_Vulkan: return "Vulkan";
    case WGPUBackendType_OpenGL: return "OpenGL";
    case WGPUBackendType_OpenGLES: return "OpenGLES";
    default: return "unknown";
  }
}

const char* adapter_type_name(WGPUAdapterType t) {
  switch (t) {
    case WGPUAdapterType_DiscreteGPU: return "discrete GPU";
    case WGPUAdapterType_IntegratedGPU: return "integrated GPU";
    case WGPUAdapterType_CPU: return "CPU";
    default: return "unknown";
  }
}

namespace {

void pump(WGPUInstance instance, const std::function<bool()>& done) {
  while (!done()) {
    wgpuInstanceProcessEvents(instance);
    if (!done()) extras::yield_to_host();
  }
}

struct AdapterRequest {
  bool done = false;
  WGPUAdapter adapter = nullptr;
  std::string message;
};

WGPUAdapter request_adapter(WGPUInstance instance, WGPUPowerPreference pref, bool fallback) {
  WGPURequestAdapterOptions options{};
  options.featureLevel = WGPUFeatureLevel_Core;
  options.powerPreference = pref;
  options.forceFallbackAdapter = fallback ? 1u : 0u;
  AdapterRequest req;
  WGPURequestAdapterCallbackInfo cb{};
  cb.mode = WGPUCallbackMode_AllowProcessEvents;
  cb.callback = [](WGPURequestAdapterStatus status, WGPUAdapter adapter, WGPUStringView message, void* u1, void*) {
    auto* r = static_cast<AdapterRequest*>(u1);
    if (status == WGPURequestAdapterStatus_Success) r->adapter = adapter;
    r->message = to_string(message);
    r->done = true;
  };
  cb.userdata1 = &req;
  wgpuInstanceRequestAdapter(instance, &options, cb);
  pump(instance, [&] { return req.done; });
  return req.adapter;
}

void fill_from_info(const WGPUAdapterInfo& info, AdapterSummary& s) {
  s.device = to_string(info.device);
  s.vendor = to_string(info.vendor);
  s.architecture = to_string(info.architecture);
  s.description = to_string(info.description);
  s.backend = backend_name(info.backendType);
  s.adapter_type = adapter_type_name(info.adapterType);
  s.vendor_id = info.vendorID;
  s.device_id = info.deviceID;
  s.subgroup_min_size = info.subgroupMinSize;
  s.subgroup_max_size = info.subgroupMaxSize;
}

void fill_limits(const WGPULimits& l, DeviceLimits& out) {
  out.max_buffer_size = l.maxBufferSize;
  out.max_storage_buffer_binding_size = l.maxStorageBufferBindingSize;
  out.max_storage_buffers_per_shader_stage = l.maxStorageBuffersPerShaderStage;
  out.max_compute_workgroup_storage_size = l.maxComputeWorkgroupStorageSize;
  out.max_compute_invocations_per_workgroup = l.maxComputeInvocationsPerWorkgroup;
  out.max_compute_workgroup_size_x = l.maxComputeWorkgroupSizeX;
  out.max_compute_workgroups_per_dimension = l.maxComputeWorkgroupsPerDimension;
  out.min_storage_buffer_offset_alignment = l.minStorageBufferOffsetAlignment;
}

AdapterSummary summarize(WGPUAdapter adapter, int index) {
  AdapterSummary s;
  s.index = index;
  WGPUAdapterInfo info{};
  if (wgpuAdapterGetInfo(adapter, &info) == WGPUStatus_Success) {
    fill_from_info(info, s);
    wgpuAdapterInfoFreeMembers(info);
  }
  s.timestamp_query = wgpuAdapterHasFeature(adapter, WGPUFeatureName_TimestampQuery) != 0;
  s.subgroups = wgpuAdapterHasFeature(adapter, WGPUFeatureName_Subgroups) != 0;
  s.shader_f16 = wgpuAdapterHasFeature(adapter, WGPUFeatureName_ShaderF16) != 0;
  WGPULimits l{};
  if (wgpuAdapterGetLimits(adapter, &l) == WGPUStatus_Success) fill_limits(l, s.limits);
  return s;
}

// Dawn's C API hands out one adapter per request; asking with each power preference
// and with the fallback flag finds every distinct one (deduplicated by name + ids).
std::vector<WGPUAdapter> all_adapters(WGPUInstance instance) {
  std::vector<WGPUAdapter> out;
  std::vector<std::string> seen;
  const std::pair<WGPUPowerPreference, bool> asks[] = {{WGPUPowerPreference_HighPerformance, false},
                                                       {WGPUPowerPreference_LowPower, false},
                                                       {WGPUPowerPreference_Undefined, true}};
  for (auto [pref, fallback] : asks) {
    WGPUAdapter a = request_adapter(instance, pref, fallback);
    if (!a) continue;
    AdapterSummary s = summarize(a, 0);
    std::string key = s.device + "|" + s.backend + "|" + std::to_string(s.vendor_id) + ":" + std::to_string(s.device_id);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      wgpuAdapterRelease(a);
      continue;
    }
    seen.push_back(key);
    out.push_back(a);
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::vector<AdapterSummary> Device::enumerate_adapters() {
  WGPUInstance instance = wgpuCreateInstance(nullptr);
  if (!instance) throw GpuError("wgpuCreateInstance failed: Dawn could not start");
  std::vector<AdapterSummary> out;
  auto adapters = all_adapters(instance);
  for (size_t i = 0; i < adapters.size(); ++i) {
    out.push_back(summarize(adapters[i], static_cast<int>(i)));
    wgpuAdapterRelease(adapters[i]);
  }
  wgpuInstanceRelease(instance);
  return out;
}

Device::Device(const ContextOptions& options) {
  instance_ = wgpuCreateInstance(nullptr);
  if (!instance_) throw GpuError("wgpuCreateInstance failed: Dawn could not start");
  auto adapters = all_adapters(instance_);
  if (adapters.empty()) {
    wgpuInstanceRelease(instance_);
    throw UnsupportedError(
        "no WebGPU adapter found (on Linux Dawn needs a Vulkan driver: Mesa >= 24 lavapipe or a GPU driver; "
        "run scripts/setup.sh)");
  }
  int chosen = -1;
  const std::string& want = options.adapter;
  if (want.empty()) {
    chosen = 0;  // first ask is high-performance
  } else if (std::all_of(want.begin(), want.end(), [](unsigned char c) { return std::isdigit(c); })) {
    chosen = std::stoi(want);
    if (chosen >= static_cast<int>(adapters.size())) chosen = -1;
  } else {
    for (size_t i = 0; i < adapters.size(); ++i)
      if (lower(summarize(adapters[i], 0).device).find(lower(want)) != std::string::npos) {
        chosen = static_cast<int>(i);
        break;
      }
  }
  if (chosen < 0) {
    std::string names;
    for (size_t i = 0; i < adapters.size(); ++i)
      names += (i ? ", " : "") + std::to_string(i) + ": " + summarize(adapters[i], 0).device;
    for (auto a : adapters) wgpuAdapterRelease(a);
    wgpuInstanceRelease(instance_);
    throw UnsupportedError("adapter '" + want + "' not found; available: " + names);
  }
  for (size_t i = 0; i < adapters.size(); ++i)
    if (static_cast<int>(i) != chosen) wgpuAdapterRelease(adapters[i]);
  adapter_ = adapters[chosen];
  summary_ = summarize(adapter_, chosen);

  // Request the adapter's own limits, not WebGPU's defaults (large caches need them).
  WGPULimits limits{};
  wgpuAdapterGetLimits(adapter_, &limits);
  limits.nextInChain = nullptr;

  std::vector<WGPUFeatureName> features;
  if (options.timestamps && summary_.timestamp_query) features.push_back(WGPUFeatureName_TimestampQuery);
  if (options.subgroups && summary_.subgroups) features.push_back(WGPUFeatureName_Subgroups);
  if (options.shader_f16 && summary_.shader_f16) features.push_back(WGPUFeatureName_ShaderF16);

  WGPUDeviceDescriptor desc{};
  extras::DeviceChain chain;
  extras::chain_device_options(desc, chain);  // exact timestamps where the platform allows
  desc.label = sv("webattn");
  desc.requiredFeatureCount = features.size();
  desc.requiredFeatures = features.data();
  desc.requiredLimits = &limits;
  desc.defaultQueue.label = sv("webattn queue");
  desc.deviceLostCallbackInfo.mode = WGPUCallbackMode_AllowSpontaneous;
  desc.deviceLostCallbackInfo.callback = &Device::on_lost;
  desc.deviceLostCallbackInfo.userdata1 = this;
  desc.uncapturedErrorCallbackInfo.callback = &Device::on_uncaptured;
  desc.uncapturedErrorCallbackInfo.userdata1 = this;

  struct DeviceRequest {
    bool done = false;
    WGPUDevice device = nullptr;
    std::string message;
  } req;
  WGPURequestDeviceCallbackInfo cb{};
  cb.mode = WGPUCallbackMode_AllowProcessEvents;
  cb.callback = [](WGPURequestDeviceStatus status, WGPUDevice device, WGPUStringView message, void* u1, void*) {
    auto* r = static_cast<DeviceRequest*>(u1);
    if (status == WGPURequestDeviceStatus_Success) r->device = device;
    r->message = to_string(message);
    r->done = true;
  };
  cb.userdata1 = &req;
  wgpuAdapterRequestDevice(adapter_, &desc, cb);
  pump(instance_, [&] { return req.done; });
  if (!req.device) {
    wgpuAdapterRelease(adapter_);
    wgpuInstanceRelease(instance_);
    throw GpuError("requesting a device on '" + summary_.device + "' failed: " + req.message);
  }
  device_ = req.device;
  read_device_properties();
  if (options.max_binding_bytes && options.max_binding_bytes < summary_.limits.max_storage_buffer_binding_size)
    summary_.limits.max_storage_buffer_binding_size = options.max_binding_bytes;
  if (options.max_storage_buffers && options.max_storage_buffers < summary_.limits.max_storage_buffers_per_shader_stage)
    summary_.limits.max_storage_buffers_per_shader_stage = options.max_storage_buffers;
  pipelines_ = std::make_unique<PipelineCache>(*this);
}

Device::Device(WGPUInstance instance, WGPUDevice device) : adopted_(true) {
  if (!instance || !device) throw ShapeError("Context::adopt needs a non-null WGPUInstance and WGPUDevice");
  instance_ = instance;
  device_ = device;
  wgpuInstanceAddRef(instance_);
  wgpuDeviceAddRef(device_);
  summary_.index = -1;  // not one of list_adapters()
  WGPUAdapterInfo info{};
  if (wgpuDeviceGetAdapterInfo(device_, &info) == WGPUStatus_Success) {
    fill_from_info(info, summary_);
    wgpuAdapterInfoFreeMembers(info);
  }
  lost_future_ = extras::lost_future(device_);
  read_device_properties();
  pipelines_ = std::make_unique<PipelineCache>(*this);
}

// Features and limits as the device has them (a subset of / equal to the adapter's).
void Device::read_device_properties() {
  queue_ = wgpuDeviceGetQueue(device_);
  timestamps_ = wgpuDeviceHasFeature(device_, WGPUFeatureName_TimestampQuery) != 0;
  subgroups_ = wgpuDeviceHasFeature(device_, WGPUFeatureName_Subgroups) != 0;
  shader_f16_ = wgpuDeviceHasFeature(device_, WGPUFeatureName_ShaderF16) != 0;
  // The summary describes this device, not only its adapter: a feature the options left off is off
  // here too (planners read it: flash-prefill must not emit `enable subgroups` without them).
  summary_.timestamp_query = timestamps_;
  summary_.subgroups = subgroups_;
  summary_.shader_f16 = shader_f16_;
  WGPULimits got{};
  if (wgpuDeviceGetLimits(device_, &got) == WGPUStatus_Success) fill_limits(got, summary_.limits);
}

bool Device::poll_lost() const {
  if (lost_ || !adopted_) return lost_;
  if (extras::future_done(instance_, lost_future_)) {
    lost_ = true;
    lost_message_ = "the host's device reports it lost";
  }
  return lost_;
}

Device::~Device() {
  pipelines_.reset();
  if (queue_) wgpuQueueRelease(queue_);
  if (device_) {
    if (!adopted_) wgpuDeviceDestroy(device_);
    wgpuDeviceRelease(device_);
  }
  if (adapter_) wgpuAdapterRelease(adapter_);
  if (instance_) {
    wgpuInstanceProcessEvents(instance_);  // deliver the lost callback while `this` is alive
    wgpuInstanceRelease(instance_);
  }
}

void Device::on_lost(WGPUDevice const*, WGPUDeviceLostReason reason, WGPUStringView message, void* u1, void*) {
  if (reason == WGPUDeviceLostReason_CallbackCancelled) return;
  auto* self = static_cast<Device*>(u1);
  self->lost_ = true;
  self->lost_message_ = to_string(message);
}

void Device::on_uncaptured(WGPUDevice const*, WGPUErrorType type, WGPUStringView message, void* u1, void*) {
  auto* self = static_cast<Device*>(u1);
  const char* kind = type == WGPUErrorType_Validation    ? "validation error"
                     : type == WGPUErrorType_OutOfMemory ? "out of memory"
                     : type == WGPUErrorType_Internal    ? "internal error"
                                                         : "error";
  self->uncaptured_.push_back(std::string(kind) + ": " + to_string(message));
}

void Device::check() const {
  if (poll_lost()) throw DeviceLostError("WebGPU device '" + summary_.device + "' was lost: " + lost_message_);
  if (!uncaptured_.empty()) {
    std::string msg = uncaptured_.front();
    const_cast<Device*>(this)->uncaptured_.clear();
    throw GpuError("Dawn reported an " + msg);
  }
}

void Device::wait_until(const std::function<bool()>& done) const {
  while (!done()) {
    if (poll_lost()) check();
    wgpuInstanceProcessEvents(instance_);
    if (!done()) extras::yield_to_host();
  }
}

void Device::destroy() {
  wgpuDeviceDestroy(device_);
  wgpuInstanceProcessEvents(instance_);
}

void Device::push_scopes() {
  check();
  wgpuDevicePushErrorScope(device_, WGPUErrorFilter_Internal);
  wgpuDevicePushErrorScope(device_, WGPUErrorFilter_OutOfMemory);
  wgpuDevicePushErrorScope(device_, WGPUErrorFilter_Validation);
}

void Device::pop_scopes(const std::string& what) {
  struct Popped {
    bool done = false;
    WGPUErrorType type = WGPUErrorType_NoError;
    std::string message;
  } results[3];
  for (auto& r : results) {
    WGPUPopErrorScopeCallbackInfo cb{};
    cb.mode = WGPUCallbackMode_AllowProcessEvents;
    cb.callback = [](WGPUPopErrorScopeStatus status, WGPUErrorType type, WGPUStringView message, void* u1, void*) {
      auto* p = static_cast<Popped*>(u1);
      p->type = status == WGPUPopErrorScopeStatus_Success ? type : WGPUErrorType_Unknown;
      p->message = to_string(message);
      p->done = true;
    };
    cb.userdata1 = &r;
    wgpuDevicePopErrorScope(device_, cb);
  }
  wait_until([&] { return results[0].done && results[1].done && results[2].done; });
  for (auto& r : results) {
    if (r.type == WGPUErrorType_NoError) continue;
    const char* kind = r.type == WGPUErrorType_Validation    ? "validation error"
                       : r.type == WGPUErrorType_OutOfMemory ? "out of memory"
                                                             : "internal error";
    throw GpuError(what + ": " + kind + ": " + r.message);
  }
  check();
}

void Device::scoped(const std::string& what, const std::function<void()>& body) {
  push_scopes();
  std::exception_ptr failure;
  try {
    body();
  } catch (...) {
    failure = std::current_exception();  // still pop the scopes, then rethrow
  }
  if (failure) {
    try {
      pop_scopes(what);
    } catch (...) {
    }
    std::rethrow_exception(failure);
  }
  pop_scopes(what);
}

}  // namespace webattn::gpu
