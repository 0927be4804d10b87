// How launchers bind a kernel: by the WGSL variable names of its storage buffers, whose
// binding numbers are read from the kernel's source (written nowhere else).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attention/kernel_params.hpp"
#include "gpu/pipeline.hpp"
#include "gpu/recorder.hpp"

namespace webattn::attention {

struct NamedBinding {
  std::string var;  // the kernel's `var<storage, ...>` name
  const gpu::Buffer* buffer = nullptr;
  uint64_t offset = 0;
  uint64_t size = WGPU_WHOLE_SIZE;
};

// `@binding(N) var... name` of every binding declared in a WGSL module, in source order.
struct DeclaredBinding {
  uint32_t index;
  std::string var;
};
std::vector<DeclaredBinding> declared_bindings(std::string_view wgsl);

// Bytes of workgroup memory a WGSL module declares (every `var<workgroup>`), its array
// extents evaluated from the module's `const` declarations: the kernels' own sizes, so
// launchers ask this instead of mirroring them. Throws Error on an extent it cannot evaluate.
uint64_t workgroup_bytes(std::string_view wgsl);
// workgroup_bytes of spec's module, remembered per spec key (planning asks for the same
// few variants on every call; building and scanning the text each time cost ~50 us).
uint64_t workgroup_bytes(const gpu::ShaderSpec& spec);

// One compute pass ready to encode: its pipeline and bindings are fixed; `fill` completes
// the parameters for one step (`prm` arrives with the common fields of that step's
// input_pos, see common_params) and returns the grid.
struct PreparedPass {
  std::string label;
  const gpu::ComputePipeline* pipeline = nullptr;
  std::vector<gpu::Binding> bindings;
  std::function<gpu::Grid(KernelParams& prm)> fill;
  std::shared_ptr<gpu::Buffer> owned;  // a buffer only this pass binds (the sink logits), kept alive with it
  bool writes_cache = false;  // it writes k_new / v_new into the cache: no separate update pass runs
};

// The pipeline of `spec` (compiled on first use) with `named` bound by variable name and
// `numbered` (generated declarations, e.g. extra cache windows) by number. Throws Error
// when a name is not declared, a declared storage binding stays unbound, or the module's
// `struct Params` differs from KernelParams.
PreparedPass make_pass(gpu::Device& device, const gpu::ShaderSpec& spec, const std::vector<NamedBinding>& named,
                       std::function<gpu::Grid(KernelParams&)> fill, const std::vector<gpu::Binding>& numbered = {});

}  // namespace webattn::attention
