// The seam between webattn's two targets. Everything else in webattn speaks the standard
// webgpu.h; what only native Dawn offers, or what the browser needs instead, is here:
//   native  (native_extras_dawn.cpp): the Dawn prebuilt through gpu/webgpu_abi.h
//   browser (native_extras_web.cpp):  Emscripten + emdawnwebgpu's webgpu.h, under JSPI
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#ifdef __EMSCRIPTEN__
#include <webgpu/webgpu.h>
#else
#include "gpu/webgpu_abi.h"
#endif

namespace webattn::gpu::extras {

// Storage for whatever a device descriptor chains (must outlive the request).
struct DeviceChain {
  std::vector<std::string> names;  // $WEBATTN_DAWN_TOGGLES' toggle names (the pointers below point into them)
  std::vector<const char*> enabled;
  std::vector<const char*> disabled;
#ifndef __EMSCRIPTEN__
  WGPUDawnTogglesDescriptor toggles{};
#endif
};

// Chains onto `desc` what native Dawn needs for exact timings (the "timestamp_quantization"
// toggle off; otherwise timestamps are rounded to ~65.5 us). Browser: nothing (Chrome rounds
// timestamps unless started with --enable-webgpu-developer-features).
// Native measurement switch: $WEBATTN_DAWN_TOGGLES, a comma-separated list of Dawn toggle names to
// enable (a leading '-' disables one), e.g. "disable_robustness,disable_workgroup_init": what
// Dawn's safety transforms cost, measured (bench/RESULTS.md, session 14). Not for production: those
// two remove bounds clamping and workgroup memory zeroing. Throws ConfigError on an empty name.
void chain_device_options(WGPUDeviceDescriptor& desc, DeviceChain& storage);

// Recording into a host's command encoder needs the encoder to write each step's parameters
// itself (Dawn's wgpuCommandEncoderWriteBuffer), so that several steps of one plan can share
// that encoder. Throws UnsupportedError, saying so and what to use instead, where it cannot.
void require_encoder_writes();

// Records a write of `bytes` bytes at `data` into `buffer` at `offset`, in order with the
// encoder's passes. Throws as require_encoder_writes() does where that throws.
void encoder_write_buffer(WGPUCommandEncoder encoder, WGPUBuffer buffer, uint64_t offset, const void* data,
                          size_t bytes);

// Called once per iteration of every wait loop. Native: nothing (ProcessEvents does the work).
// Browser: hands control back to the page's event loop (JSPI suspends the wasm call), or the
// promises behind WebGPU's callbacks could never resolve.
void yield_to_host();

// Device loss of an adopted device, without installing callbacks on it. Native: Dawn's lost
// future, polled. Browser: an imported GPUDevice has no such future (the JS layer watches
// GPUDevice.lost instead), so lost_future returns the null future and future_done false.
WGPUFuture lost_future(WGPUDevice device);
bool future_done(WGPUInstance instance, WGPUFuture future);

}  // namespace webattn::gpu::extras
