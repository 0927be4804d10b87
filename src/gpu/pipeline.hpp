// WGSL modules and compute pipelines. Kernels are .wgsl files embedded at build
// time; a module is a kernel plus optional preludes (storage type of the KV cache,
// array extents) and `override` constants. Pipelines are cached by that key.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpu/device.hpp"

namespace webattn::gpu {

// The embedded source of src/kernels/<name>.wgsl; throws if there is none.
std::string_view kernel_source(const std::string& name);
std::vector<std::string> kernel_names();

struct ShaderSpec {
  std::string kernel;                 // file name without .wgsl
  std::vector<std::string> preludes;  // other embedded files, prepended in order
  std::string header;                 // extra generated WGSL text (const array extents)
  std::vector<std::pair<std::string, double>> constants;  // override values
  // (text, replacement) pairs applied to the kernel's own source, every occurrence; a text not found
  // throws Error. For a form whose code differs in a few places while the kernel's text stays byte for
  // byte what it is without it (a function call in its place changed what the driver made of the loop).
  std::vector<std::pair<std::string, std::string>> edits = {};

  std::string source() const;
  std::string key() const;
};

class ComputePipeline {
 public:
  ComputePipeline(Device& device, const ShaderSpec& spec);
  // Builds from raw WGSL (tests use it for deliberately broken shaders).
  ComputePipeline(Device& device, const std::string& label, const std::string& wgsl,
                  const std::vector<std::pair<std::string, double>>& constants = {});
  ~ComputePipeline();
  ComputePipeline(const ComputePipeline&) = delete;
  ComputePipeline& operator=(const ComputePipeline&) = delete;

  WGPUComputePipeline handle() const { return pipeline_; }
  WGPUBindGroupLayout layout() const { return layout_; }
  const std::string& label() const { return label_; }

 private:
  void build(Device& device, const std::string& wgsl, const std::vector<std::pair<std::string, double>>& constants);
  WGPUComputePipeline pipeline_ = nullptr;
  WGPUBindGroupLayout layout_ = nullptr;
  std::string label_;
};

class PipelineCache {
 public:
  explicit PipelineCache(Device& device) : device_(device) {}
  const ComputePipeline& get(const ShaderSpec& spec);
  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }
  size_t size() const { return cache_.size(); }

 private:
  Device& device_;
  std::map<std::string, std::unique_ptr<ComputePipeline>> cache_;
  size_t hits_ = 0, misses_ = 0;
};

}  // namespace webattn::gpu
