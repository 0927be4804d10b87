// RAII access to one Dawn device: adapter selection, limits, features, error scopes
// and device-loss tracking. Everything Dawn reports becomes a webattn exception.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gpu/native_extras.hpp"
#include "webattn/context.hpp"
#include "webattn/errors.hpp"

namespace webattn::gpu {

// Names for adapter properties, as `webattn devices` prints them ("Vulkan", "discrete GPU").
const char* backend_name(WGPUBackendType t);
const char* adapter_type_name(WGPUAdapterType t);


class PipelineCache;

std::string to_string(WGPUStringView view);

class Device {
 public:
  explicit Device(const ContextOptions& options);
  // Adopts a host's instance and device (see Context::adopt): references, never destroys.
  Device(WGPUInstance instance, WGPUDevice device);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  static std::vector<AdapterSummary> enumerate_adapters();

  WGPUInstance instance() const { return instance_; }
  WGPUDevice handle() const { return device_; }
  WGPUQueue queue() const { return queue_; }
  const AdapterSummary& adapter() const { return summary_; }
  const DeviceLimits& limits() const { return summary_.limits; }
  bool has_timestamps() const { return timestamps_; }
  bool has_subgroups() const { return subgroups_; }
  bool has_shader_f16() const { return shader_f16_; }
  PipelineCache& pipelines() { return *pipelines_; }
  bool adopted() const { return adopted_; }
  // Every creation of a GPU object by webattn goes through one of these counters.
  ObjectCounts& counts() { return counts_; }
  const ObjectCounts& counts() const { return counts_; }

  // Runs `body` inside validation/out-of-memory/internal error scopes and throws
  // GpuError("<what>: <Dawn's message>") if Dawn reported anything.
  void scoped(const std::string& what, const std::function<void()>& body);
  // The two halves of scoped(), for work spread over several calls (a Recorder).
  void push_scopes();
  void pop_scopes(const std::string& what);
  // Throws DeviceLostError if the device was lost, GpuError for an uncaptured error.
  void check() const;
  // Pumps Dawn's event loop until done() holds (or the device is lost).
  void wait_until(const std::function<bool()>& done) const;
  // Destroys the device (tests use it to simulate a lost device).
  void destroy();

 private:
  static void on_lost(WGPUDevice const*, WGPUDeviceLostReason, WGPUStringView, void*, void*);
  static void on_uncaptured(WGPUDevice const*, WGPUErrorType, WGPUStringView, void*, void*);
  void read_device_properties();
  bool poll_lost() const;

  WGPUInstance instance_ = nullptr;
  WGPUAdapter adapter_ = nullptr;
  WGPUDevice device_ = nullptr;
  WGPUQueue queue_ = nullptr;
  AdapterSummary summary_;
  bool timestamps_ = false, subgroups_ = false, shader_f16_ = false;
  bool adopted_ = false;
  WGPUFuture lost_future_{};  // adopted devices: polled by check(), we have no lost callback
  ObjectCounts counts_;
  mutable bool lost_ = false;
  mutable std::string lost_message_;
  std::vector<std::string> uncaptured_;
  std::unique_ptr<PipelineCache> pipelines_;
};

}  // namespace webattn::gpu
