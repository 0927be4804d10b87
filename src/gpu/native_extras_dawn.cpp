// Native target: the Dawn prebuilt's extensions (see native_extras.hpp).
#include "gpu/native_extras.hpp"

namespace webattn::gpu::extras {

void chain_device_options(WGPUDeviceDescriptor& desc, DeviceChain& storage) {
  storage.disabled[0] = "timestamp_quantization";
  storage.toggles.chain.sType = WGPUSType_DawnTogglesDescriptor;
  storage.toggles.chain.next = desc.nextInChain;
  storage.toggles.disabledToggleCount = 1;
  storage.toggles.disabledToggles = storage.disabled;
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
