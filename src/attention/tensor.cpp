#include "webattn/tensor.hpp"

#include "internal.hpp"

#include "attention/half.hpp"
#include "gpu/buffer.hpp"

namespace webattn {

std::string shape_string(const std::vector<uint32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {
// Storage bytes of n elements: halves are packed two per u32 word (an odd count pads one).
uint64_t storage_bytes(uint64_t n, DType dtype) { return dtype == DType::F16 ? (n + 1) / 2 * 4 : n * 4; }

// The element count of a shape, checked: a product of 2^62 or more (4 bytes an element reach
// 2^64) is refused here, naming the shape, instead of wrapping into a small count that a
// buffer and every later check would take.
uint64_t checked_numel(const std::vector<uint32_t>& shape, const std::string& label) {
  uint64_t n = 1;
  for (auto d : shape)
    if (__builtin_mul_overflow(n, uint64_t{d}, &n) || n >= (uint64_t{1} << 62))
      throw ShapeError("tensor '" + label + "': shape " + shape_string(shape) +
                       " has 2^62 elements or more (its bytes do not fit 64 bits)");
  return n;
}

void check_dtype(DType dtype, const std::string& label) {
  if (dtype != DType::F32 && dtype != DType::F16)
    throw ShapeError("tensor '" + label + "': dtype " + std::to_string(static_cast<int>(dtype)) +
                     " is not allowed; allowed: f32, f16");
}
}  // namespace

Tensor::Tensor(Context& ctx, std::vector<uint32_t> shape, const std::string& label, DType dtype)
    : shape_(std::move(shape)), label_(label), dtype_(dtype) {
  check_dtype(dtype, label);
  buffer_ = std::make_shared<gpu::Buffer>(gpu_device(ctx), storage_bytes(checked_numel(shape_, label), dtype), label);
}

Tensor Tensor::from(Context& ctx, std::vector<uint32_t> shape, const std::vector<float>& values,
                    const std::string& label, DType dtype) {
  Tensor t(ctx, std::move(shape), label, dtype);
  t.upload(values);
  return t;
}

Tensor Tensor::wrap(Context& ctx, WGPUBuffer buffer, uint64_t offset, std::vector<uint32_t> shape,
                    const std::string& label, DType dtype) {
  check_dtype(dtype, label);
  const uint64_t n = checked_numel(shape, label);
  if (shape.empty() || n == 0) throw ShapeError("'" + label + "': cannot view an empty shape " + shape_string(shape));
  auto view = std::make_shared<gpu::Buffer>(gpu_device(ctx), buffer, offset, storage_bytes(n, dtype), label);
  return Tensor(std::move(shape), label, dtype, std::move(view));
}

uint64_t Tensor::bytes() const { return storage_bytes(numel(), dtype_); }

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
  if (dtype_ == DType::F32) return buffer_->upload(values);
  std::vector<uint16_t> halves(bytes() / 2, 0);
  for (size_t i = 0; i < values.size(); ++i) halves[i] = half::from_float(values[i]);
  buffer_->upload(halves);
}

std::vector<float> Tensor::download() const {
  if (dtype_ == DType::F32) return buffer_->download<float>(numel());
  const auto halves = buffer_->download<uint16_t>(bytes() / 2);
  std::vector<float> out(numel());
  for (size_t i = 0; i < out.size(); ++i) out[i] = half::to_float(halves[i]);
  return out;
}

// F16: a quiet-NaN half in both halves of every word.
void Tensor::poison() { buffer_->fill_u32(dtype_ == DType::F16 ? 0x7eadfeadu : 0x7fc0dead); }

}  // namespace webattn
