// Tensor: a GPU storage buffer of fp32 values, or of IEEE halves packed two per u32, with
// a shape (row-major).
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

// Element storage of tensors and KV caches. F16: IEEE binary16, element 2i in the low and
// 2i+1 in the high half of u32 word i (little-endian halves; WGSL pack2x16float order), so
// it needs no shader-f16 feature.
enum class DType { F32, F16 };
const char* to_string(DType d);

class Tensor {
 public:
  // dtype F16: the values are stored as halves (attention activations q, k_new, v_new and
  // out may each be F32 or F16; see Sdpa).
  Tensor(Context& ctx, std::vector<uint32_t> shape, const std::string& label = "tensor", DType dtype = DType::F32);
  // F16: each value is rounded to the nearest half (ties to even; past 65504 from 65520
  // on it becomes +-Inf, NaN stays NaN).
  static Tensor from(Context& ctx, std::vector<uint32_t> shape, const std::vector<float>& values,
                     const std::string& label = "tensor", DType dtype = DType::F32);
  // Embedding: a view of a host's buffer holding the values row-major at `offset` bytes
  // (a multiple of the device's minStorageBufferOffsetAlignment, usually 256): numel fp32
  // values, or for F16 numel halves packed two per u32 (bytes()). The buffer needs Storage
  // usage (CopySrc / CopyDst too for download() / upload()); webattn holds a reference and
  // never destroys it. Throws ShapeError naming what does not fit.
  static Tensor wrap(Context& ctx, WGPUBuffer buffer, uint64_t offset, std::vector<uint32_t> shape,
                     const std::string& label = "host tensor", DType dtype = DType::F32);

  const std::vector<uint32_t>& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  uint64_t numel() const;
  // Bytes of the storage: numel * 4 (F32), numel * 2 rounded up to whole u32 words (F16).
  uint64_t bytes() const;
  const std::string& label() const { return label_; }

  // values: numel floats (F16 tensors round them to halves, see from()).
  void upload(const std::vector<float>& values);
  // numel floats (F16 tensors: each half widened exactly).
  std::vector<float> download() const;
  // Fills every element with a NaN bit pattern (tests poison outputs with it).
  void poison();

  // The WebGPU buffer holding the values and where they start in it (hosts copy into it
  // or bind it in their own passes).
  WGPUBuffer wgpu_buffer() const;
  uint64_t wgpu_offset() const;

 private:
  friend struct detail::Access;
  Tensor(std::vector<uint32_t> shape, const std::string& label, DType dtype, std::shared_ptr<gpu::Buffer> buffer)
      : shape_(std::move(shape)), label_(label), dtype_(dtype), buffer_(std::move(buffer)) {}
  std::vector<uint32_t> shape_;
  std::string label_;
  DType dtype_ = DType::F32;
  std::shared_ptr<gpu::Buffer> buffer_;
};

std::string shape_string(const std::vector<uint32_t>& shape);

}  // namespace webattn
