// Native target: the Dawn prebuilt's extensions (see native_extras.hpp).
#include "gpu/native_extras.hpp"

#include <cstdlib>
#include <sstream>

#include "webattn/errors.hpp"

namespace webattn::gpu::extras {

void chain_device_options(WGPUDeviceDescriptor& desc, DeviceChain& storage) {
  if (const char* e = std::getenv("WEBATTN_DAWN_TOGGLES"); e && *e) {
    const std::string all(e);
    std::stringstream list(all + ",");  // every field ends with a comma, the last (empty after a trailing one) too
    for (std::string name; std::getline(list, name, ',');) {
      if (name.empty() || name == "-") throw ConfigError("WEBATTN_DAWN_TOGGLES=" + all + ": an empty toggle name");
      storage.names.push_back(name);
    }
  }
  storage.disabled.push_back("timestamp_quantization");
  for (const std::string& n : storage.names) {
    if (n[0] == '-') {
      storage.disabled.push_back(n.c_str() + 1);
    } else {
      storage.enabled.push_back(n.c_str());
    }
  }
  storage.toggles.chain.sType = WGPUSType_DawnTogglesDescriptor;
  storage.toggles.chain.next = desc.nextInChain;
  storage.toggles.enabledToggleCount = storage.enabled.size();
  storage.toggles.enabledToggles = storage.enabled.data();
  storage.toggles.disabledToggleCount = storage.disabled.size();
  storage.toggles.disabledToggles = storage.disabled.data();
  desc.nextInChain = &storage.toggles.chain;
}

void require_encoder_writes() {}

void encoder_write_buffer(WGPUCommandEncoder encoder, WGPUBuffer buffer, uint64_t offset, const void* data,
                          size_t bytes) {
  wgpuCommandEncoderWriteBuffer(encoder, buffer, offset, static_cast<const uint8_t*>(data), bytes);
}

void yield_to_host() {}

WGPUFuture lost_future(WGPUDevice device) { return wgpuDeviceGetLostFuture(device); }

bool future_done(WGPUInstance instance, WGPUFuture future) {
  WGPUFutureWaitInfo wait{future, 0};
  return wgpuInstanceWaitAny(instance, 1, &wait, 0) == WGPUWaitStatus_Success && wait.completed;
}

}  // namespace webattn::gpu::extras
