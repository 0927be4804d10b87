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

class Tensor {
 public:
  Tensor(Context& ctx, std::vector<uint32_t> shape, const std::string& label = "tensor");
  static Tensor from(Context& ctx, std::vector<uint32_t> shape, const std::vector<float>& values,
                     const std::string& label = "tensor");

  const std::vector<uint32_t>& shape() const { return shape_; }
  uint64_t numel() const;
  uint64_t bytes() const { return numel() * 4; }
  const std::string& label() const { return label_; }

  void upload(const std::vector<float>& values);
  std::vector<float> download() const;
  // Fills every element with a NaN bit pattern (tests poison outputs with it).
  void poison();

  gpu::Buffer& buffer() const { return *buffer_; }

 private:
  std::vector<uint32_t> shape_;
  std::string label_;
  std::shared_ptr<gpu::Buffer> buffer_;
};

std::string shape_string(const std::vector<uint32_t>& shape);

}  // namespace webattn
