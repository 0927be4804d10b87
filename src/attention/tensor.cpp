#include "webattn/tensor.hpp"

#include "internal.hpp"

#include "gpu/buffer.hpp"

namespace webattn {

std::string shape_string(const std::vector<uint32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor::Tensor(Context& ctx, std::vector<uint32_t> shape, const std::string& label)
    : shape_(std::move(shape)), label_(label) {
  buffer_ = std::make_shared<gpu::Buffer>(gpu_device(ctx), bytes(), label);
}

Tensor Tensor::from(Context& ctx, std::vector<uint32_t> shape, const std::vector<float>& values,
                    const std::string& label) {
  Tensor t(ctx, std::move(shape), label);
  t.upload(values);
  return t;
}

Tensor Tensor::wrap(Context& ctx, WGPUBuffer buffer, uint64_t offset, std::vector<uint32_t> shape,
                    const std::string& label) {
  uint64_t n = 1;
  for (auto d : shape) n *= d;
  if (shape.empty() || n == 0) throw ShapeError("'" + label + "': cannot view an empty shape " + shape_string(shape));
  auto view = std::make_shared<gpu::Buffer>(gpu_device(ctx), buffer, offset, n * 4, label);
  return Tensor(std::move(shape), label, std::move(view));
}

WGPUBuffer Tensor::wgpu_buffer() const { return buffer_->handle(); }
uint64_t Tensor::wgpu_offset() const { return buffer_->offset(); }

uint64_t Tensor::numel() const {
  uint64_t n = 1;
  for (auto d : shape_) n *= d;
  return n;
}

void Tensor::upload(const std::vector<float>& values) {
  if (values.size() != numel())
    throw ShapeError("tensor '" + label_ + "' of shape " + shape_string(shape_) + " holds " +
                     std::to_string(numel()) + " values, got " + std::to_string(values.size()));
  buffer_->upload(values);
}

std::vector<float> Tensor::download() const { return buffer_->download<float>(numel()); }

void Tensor::poison() { buffer_->fill_u32(0x7fc0dead); }

}  // namespace webattn
