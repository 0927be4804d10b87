// Browser target: Emscripten + emdawnwebgpu under JSPI (see native_extras.hpp).
#include <emscripten/emscripten.h>

#include "gpu/native_extras.hpp"
#include "webattn/errors.hpp"

namespace webattn::gpu::extras {

void chain_device_options(WGPUDeviceDescriptor&, DeviceChain&) {}

void require_encoder_writes() {
  // A queue write would land before the host submits, so two steps of one plan in one
  // encoder would both read the second step's parameters: refuse rather than compute wrong.
  throw UnsupportedError(
      "recording a plan step into the host's command encoder needs Dawn's wgpuCommandEncoderWriteBuffer "
      "(parameters written in order with the passes), which browsers do not have; use run(pos), which "
      "submits webattn's own command buffer on the app's queue");
}

void encoder_write_buffer(WGPUCommandEncoder, WGPUBuffer, uint64_t, const void*, size_t) {
  require_encoder_writes();
}

void yield_to_host() { emscripten_sleep(0); }

WGPUFuture lost_future(WGPUDevice) { return WGPUFuture{0}; }

bool future_done(WGPUInstance, WGPUFuture) { return false; }

}  // namespace webattn::gpu::extras
