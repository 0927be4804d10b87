// webattn's own access to the gpu:: objects behind its public classes, which the public
// headers keep private (hosts see WGPU handles only: Context::device_handle(),
// Tensor::wgpu_buffer()).
#pragma once
#include <memory>
#include <string>

#include "gpu/buffer.hpp"
#include "gpu/device.hpp"
#include "webattn/attention.hpp"
#include "webattn/context.hpp"
#include "webattn/tensor.hpp"

namespace webattn {

namespace detail {
struct Access {
  static const std::shared_ptr<gpu::Device>& device(const Context& c) { return c.device_; }
  static gpu::Buffer& buffer(const Tensor& t) { return *t.buffer_; }
  static gpu::Buffer& keys(const KVCache& c) { return *c.keys_; }
  static gpu::Buffer& values(const KVCache& c) { return *c.values_; }
  static const Sdpa::Impl* impl(const Sdpa& s) { return s.impl_.get(); }
};
}  // namespace detail

// The scratch buffer `name` the Sdpa's calls reserved (tests read it: split-kv's one-pass scratch must be
// back to zeros after every call). Throws Error if it was never reserved.
const gpu::Buffer& sdpa_scratch(const Sdpa& s, const std::string& name);

inline gpu::Device& gpu_device(const Context& c) { return *detail::Access::device(c); }
inline std::shared_ptr<gpu::Device> gpu_shared_device(const Context& c) { return detail::Access::device(c); }
inline gpu::Buffer& gpu_buffer(const Tensor& t) { return detail::Access::buffer(t); }
inline gpu::Buffer& gpu_keys(const KVCache& c) { return detail::Access::keys(c); }
inline gpu::Buffer& gpu_values(const KVCache& c) { return detail::Access::values(c); }

}  // namespace webattn
