// Context: one WebGPU adapter + device, chosen by index or name, with the adapter's
// own limits and the features webattn uses (timestamp-query, subgroups, shader-f16).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

// The WebGPU handle types (identical to webgpu.h's, so a host's own header agrees). webattn installs
// no webgpu.h: a host that creates these handles itself (Context::adopt, Tensor::wrap, KVCache::wrap,
// SdpaPlan::encode) does so with its own WebGPU C header, one of the same ABI as the Dawn library it
// links (for the bundled libwebgpu_wrapper.so: Dawn's of spring 2026; in the browser: emdawnwebgpu's).
typedef struct WGPUInstanceImpl* WGPUInstance;
typedef struct WGPUDeviceImpl* WGPUDevice;
typedef struct WGPUBufferImpl* WGPUBuffer;
typedef struct WGPUCommandEncoderImpl* WGPUCommandEncoder;

namespace webattn {

namespace gpu {
class Device;
}
namespace detail {
struct Access;
}

struct DeviceLimits {
  uint64_t max_buffer_size = 0;
  uint64_t max_storage_buffer_binding_size = 0;
  uint32_t max_storage_buffers_per_shader_stage = 0;
  uint32_t max_compute_workgroup_storage_size = 0;
  uint32_t max_compute_invocations_per_workgroup = 0;
  uint32_t max_compute_workgroup_size_x = 0;
  uint32_t max_compute_workgroups_per_dimension = 0;
  uint32_t min_storage_buffer_offset_alignment = 0;
};

struct AdapterSummary {
  int index = 0;  // position in list_adapters()
  std::string device;  // e.g. "NVIDIA H100 80GB HBM3", "llvmpipe (LLVM 19.1.7, 256 bits)"
  std::string vendor;
  std::string architecture;
  std::string description;
  std::string backend;       // "Vulkan", ...
  std::string adapter_type;  // "discrete GPU", "CPU", ...
  uint32_t vendor_id = 0;
  uint32_t device_id = 0;
  uint32_t subgroup_min_size = 0;
  uint32_t subgroup_max_size = 0;
  bool timestamp_query = false;
  bool subgroups = false;
  bool shader_f16 = false;
  DeviceLimits limits;
};

// GPU objects webattn has created on a Context's device so far. A planned decode loop
// (SdpaPlan) creates none of the first three per step; tests count them.
struct ObjectCounts {
  uint64_t buffers = 0;
  uint64_t bind_groups = 0;
  uint64_t pipelines = 0;
  uint64_t command_encoders = 0;
  uint64_t query_sets = 0;
};

struct ContextOptions {
  // "" picks the default (high-performance) adapter; a number picks that index of
  // list_adapters(); anything else is a case-insensitive substring of the device name.
  std::string adapter;
  // Request these features when the adapter offers them (never required).
  bool timestamps = true;
  bool subgroups = true;
  bool shader_f16 = true;
  // Use at most this many bytes per storage binding (0: the device's maxStorageBufferBindingSize).
  // Caches larger than a binding are bound as several windows; tests use a small value to
  // exercise that with small caches.
  uint64_t max_binding_bytes = 0;
  // Use at most this many storage buffers per shader stage (0: the device's
  // maxStorageBuffersPerShaderStage). Tests use WebGPU's default, 8, to exercise the forms a
  // device with the default limits runs (fewer bindings per pass, more passes).
  uint32_t max_storage_buffers = 0;
};

class Context {
 public:
  explicit Context(const ContextOptions& options = {});
  // Embedding: use a host's WGPUInstance + WGPUDevice without owning them. webattn holds
  // a reference to both and releases it on destruction; it never destroys the device or
  // installs callbacks on it (the host keeps its own error and device-lost callbacks;
  // webattn sees errors through error scopes and loss through the device's lost future).
  // Limits and features are the device's as created: request the adapter's limits there
  // for large caches, and disable Dawn's "timestamp_quantization" toggle for exact timings.
  static Context adopt(WGPUInstance instance, WGPUDevice device);
  ~Context();
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;

  // Every adapter Dawn offers on this machine (deduplicated).
  static std::vector<AdapterSummary> list_adapters();

  // The adapter this Context's device came from, with the device's own limits and features (a
  // feature ContextOptions left off reads false here even where the adapter offers it).
  const AdapterSummary& adapter() const;
  // Features actually enabled on the device (a subset of the adapter's).
  bool has_timestamps() const;
  bool has_subgroups() const;
  bool has_shader_f16() const;

  // What webattn created on this device so far (see ObjectCounts).
  ObjectCounts object_counts() const;
  // The underlying handles (owned by webattn unless adopted), for hosts that encode
  // webattn's passes into their own command encoders.
  WGPUInstance instance_handle() const;
  WGPUDevice device_handle() const;

 private:
  friend struct detail::Access;
  explicit Context(std::shared_ptr<gpu::Device> device);
  std::shared_ptr<gpu::Device> device_;
};

}  // namespace webattn
