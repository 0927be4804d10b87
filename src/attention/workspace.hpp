// Scratch buffers for an Sdpa (score matrix, split-KV partials), grown on demand and
// reused across calls so a steady decode loop allocates nothing.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "gpu/buffer.hpp"
#include "webattn/errors.hpp"

namespace webattn::attention {

class Workspace {
 public:
  explicit Workspace(gpu::Device& device) : device_(device) {}
  gpu::Buffer& get(const std::string& name, uint64_t bytes) {
    auto& slot = buffers_[name];
    if (!slot || slot->size() < bytes) slot = std::make_unique<gpu::Buffer>(device_, bytes, name);
    return *slot;
  }
  // A buffer get() made before (prepared passes bind what was reserved).
  gpu::Buffer& at(const std::string& name) const {
    const auto it = buffers_.find(name);
    if (it == buffers_.end()) throw Error("scratch buffer '" + name + "' was never reserved");
    return *it->second;
  }

 private:
  gpu::Device& device_;
  std::map<std::string, std::unique_ptr<gpu::Buffer>> buffers_;
};

}  // namespace webattn::attention
