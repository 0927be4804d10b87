// Feasibility probe for Dawn's experimental `chromium-experimental-subgroup-matrix` (issue #12
// item 4): what the adapters report once the "allow_unsafe_apis" toggle is on, and whether a
// tiny subgroup-matrix kernel computes the right product. Native Dawn only (the browser build
// has no toggles); nothing else in webattn uses it.
#pragma once
#ifndef __EMSCRIPTEN__
#include <cstdint>
#include <string>
#include <vector>

#include "gpu/webgpu_abi.h"

namespace webattn::gpu::sgm {

// The toggles every request of this probe carries (adapter and device).
extern const char* const kUnsafeToggles[2];  // "allow_unsafe_apis", "use_vulkan_memory_model"

struct MatrixConfig {
  uint32_t component = 0;  // WGPUSubgroupMatrixComponentType, raw
  uint32_t result = 0;
  uint32_t m = 0, n = 0, k = 0;
  std::string describe() const;  // "i8 x i8 -> i32 M16 N16 K32"
};

struct UnsafeAdapter {
  int index = 0;  // same order as Context::list_adapters() (same requests, toggles added)
  std::string device, backend, adapter_type, description;
  uint32_t vendor_id = 0, device_id = 0;
  uint32_t subgroup_min_size = 0, subgroup_max_size = 0;
  std::vector<uint32_t> features;  // wgpuAdapterGetFeatures, raw enum values, as reported
  std::vector<uint32_t> toggle_only;  // of those, the ones the same adapter lacks without the toggles
  bool subgroup_matrix = false;    // ChromiumExperimentalSubgroupMatrix among them
  bool shader_f16 = false;         // ShaderF16 among them (absent on the H200 even with the toggles, 2026-11-30)
  std::vector<MatrixConfig> configs;
  std::string configs_error;  // wgpuAdapterGetInfo with the configs chained failed
};

// Every adapter, requested with kUnsafeToggles chained to the request options.
std::vector<UnsafeAdapter> list_unsafe_adapters();

// The name Dawn's webgpu.h gives a feature value of this library ("" if unknown).
const char* feature_name(uint32_t value);
// "f32", "f16", "u32", "i32", "u8", "i8" or "type<N>".
std::string component_name(uint32_t value);

// Requests a device on adapter `index` with the feature on an adapter that lacks it and
// returns Dawn's refusal message (the value-to-name check of WGPUFeatureName_
// ChromiumExperimentalSubgroupMatrix that works without the feature: Dawn names the feature
// it refuses). Empty if Dawn granted it after all.
std::string refusal_message(int index);

// How subgroupMatrixLoad/Store's stride (and offset) count when 8-bit components are packed
// four per 32-bit array element: in array elements (this Tint revision's SPIR-V lowering
// passes the stride to OpCooperativeMatrixLoadKHR, whose pointer is to the 32-bit element) or
// in matrix components. For 32/16-bit components both are the same.
enum class StrideUnit { ArrayElements, Components };

struct MatmulResult {
  MatrixConfig config;
  StrideUnit unit = StrideUnit::ArrayElements;
  bool pass = false;
  double max_abs_diff = 0;
  size_t mismatches = 0;  // result entries off by more than the tolerance
  std::string wgsl;       // the kernel that ran
};

// Creates a device on adapter `index` with the subgroup-matrix feature (and subgroups /
// shader-f16 where offered), runs one workgroup of a kernel that loads A (M x K, row major)
// and B (K x N, row major) of random values, multiplies-accumulates into a zero result and
// stores it (M x N, row major), and compares with the product on the CPU (exact for
// integers; float inputs are small integers, so exact too). Dawn errors (shader
// compilation, pipeline creation, submission) throw webattn::GpuError with Dawn's message;
// UnsupportedError where the adapter lacks the feature or the config needs shader-f16 the
// device lacks. Callers must pass only configurations the adapter reports: Tint may abort the
// process (not throw) on a kernel the backend cannot lower (i8 on the H200's SPIR-V writer).
MatmulResult run_matmul(int index, const MatrixConfig& config, StrideUnit unit, uint32_t seed = 1);

// Compiles run_matmul's kernel for `config` (WGSL front end, validation and compute-pipeline
// creation, no code generation) on Dawn's Null backend, which offers every feature: checks the
// kernel against this library's Tint on machines without the feature. Returns the WGSL; throws
// GpuError with Dawn's message if Tint or Dawn rejects it.
std::string compile_on_null_backend(const MatrixConfig& config, StrideUnit unit);

// The configuration the feasibility question is about: i8 x i8 -> i32, M16 N16 K32. Only ever
// built for an adapter that reports it (see kInt8NotOffered).
MatrixConfig int8_config();

// Whether `config` needs WGSL's f16 (an f16 component or result type), and why it cannot run
// on adapter `a` ("" if it can): "needs shader-f16, which this device lacks" where the
// adapter has no shader-f16. Checked before any shader is built.
bool needs_shader_f16(const MatrixConfig& config);
std::string not_runnable_reason(const UnsafeAdapter& a, const MatrixConfig& config);
constexpr const char* kNeedsShaderF16 = "needs shader-f16, which this device lacks";

// Whether the adapter reports an 8-bit integer (i8 or u8) configuration, or an i8 one.
bool reports_int8_config(const UnsafeAdapter& a);
bool reports_i8_config(const UnsafeAdapter& a);

// What was observed about int8 with the bundled Dawn, printed where an adapter with the
// feature reports no 8-bit integer configuration. A kernel for a configuration the adapter does not report is never
// built: on the H200 an i8 x i8 -> i32 kernel made Tint's SPIR-V writer hit an internal
// compiler error that killed the process (SIGILL), which no caller can catch.
constexpr const char* kInt8NotOffered =
    "int8: not offered by this Dawn build: its API has no u8/i8 subgroup-matrix component types, and an "
    "(unreported) i8 x i8 -> i32 kernel crashed Tint's SPIR-V writer with an internal compiler error "
    "(\"printer.cc:659 Switch() matched no cases. Type: tint::core::type::I8\", SIGILL) on the H200, "
    "2026-11-30 (bench/results/2026-11-30-h200/s5-call4-devices-unsafe.txt); not tried";

}  // namespace webattn::gpu::sgm
#endif  // __EMSCRIPTEN__
