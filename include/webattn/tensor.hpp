// Tensor: a GPU storage buffer of fp32 values with a shape (row-major).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "webattn/context.hpp"

namespace webattn {

namespace gpu {
class Buffer;
}
namespace detail {
struct Access;
}

class Tensor {
 public:
  Tensor(Context& ctx, std::vector<uint32_t> shape, const std::string& label = "tensor");
  static Tensor from(Context& ctx, std::vector<uint32_t> shape, const std::vector<float>& values,
                     const std::string& label = "tensor");
  // Embedding: a view of a host's buffer holding the fp32 values row-major at `offset`
  // bytes (a multiple of the device's minStorageBufferOffsetAlignment, usually 256). The
  // buffer needs Storage usage (CopySrc / CopyDst too for download() / upload()); webattn
  // holds a reference and never destroys it. Throws ShapeError naming what does not fit.
  static Tensor wrap(Context& ctx, WGPUBuffer buffer, uint64_t offset, std::vector<uint32_t> shape,
                     const std::string& label = "host tensor");

  const std::vector<uint32_t>& shape() const { return shape_; }
  uint64_t numel() const;
  uint64_t bytes() const { return numel() * 4; }
  const std::string& label() const { return label_; }

  void upload(const std::vector<float>& values);
  std::vector<float> download() const;
  // Fills every element with a NaN bit pattern (tests poison outputs with it).
  void poison();

  // The WebGPU buffer holding the values and where they start in it (hosts copy into it
  // or bind it in their own passes).
  WGPUBuffer wgpu_buffer() const;
  uint64_t wgpu_offset() const;

 private:
  friend struct detail::Access;
  Tensor(std::vector<uint32_t> shape, const std::string& label, std::shared_ptr<gpu::Buffer> buffer)
      : shape_(std::move(shape)), label_(label), buffer_(std::move(buffer)) {}
  std::vector<uint32_t> shape_;
  std::string label_;
  std::shared_ptr<gpu::Buffer> buffer_;
};

std::string shape_string(const std::vector<uint32_t>& shape);

}  // namespace webattn
