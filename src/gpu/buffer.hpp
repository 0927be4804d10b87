// A device buffer with typed upload/download. Sizes are checked against the
// device's limits before Dawn sees them, so the error names the numbers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "gpu/device.hpp"

namespace webattn::gpu {

class Buffer {
 public:
  static constexpr WGPUBufferUsage kStorage =
      WGPUBufferUsage_Storage | WGPUBufferUsage_CopySrc | WGPUBufferUsage_CopyDst;

  Buffer(Device& device, uint64_t bytes, const std::string& label, WGPUBufferUsage usage = kStorage);
  // A view of `size` bytes at `offset` of a buffer webattn does not own (a host's): holds
  // a reference, never destroys it. Throws ShapeError if it lacks Storage usage, if the
  // offset is not a multiple of minStorageBufferOffsetAlignment, or if the range overflows it.
  Buffer(Device& device, WGPUBuffer external, uint64_t offset, uint64_t size, const std::string& label);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  WGPUBuffer handle() const { return buffer_; }
  uint64_t offset() const { return offset_; }  // where this buffer's bytes start in handle()
  uint64_t size() const { return size_; }
  bool owned() const { return owned_; }
  const std::string& label() const { return label_; }
  Device& device() const { return *device_; }

  void write(const void* data, uint64_t bytes, uint64_t offset = 0);
  template <class T>
  void upload(const std::vector<T>& values, uint64_t offset = 0) {
    write(values.data(), values.size() * sizeof(T), offset);
  }
  // Copies [offset, offset+bytes) to the host through a staging buffer (waits).
  void read(void* out, uint64_t bytes, uint64_t offset = 0) const;
  template <class T>
  std::vector<T> download(uint64_t count, uint64_t offset = 0) const {
    std::vector<T> out(count);
    read(out.data(), count * sizeof(T), offset);
    return out;
  }
  // Fills the whole buffer with a 32-bit pattern (used to poison outputs).
  void fill_u32(uint32_t pattern);

 private:
  Device* device_;
  void require_usage(WGPUBufferUsage usage, const char* what) const;
  WGPUBuffer buffer_ = nullptr;
  uint64_t offset_ = 0;
  uint64_t size_;
  bool owned_ = true;
  std::string label_;
};

// Maps a MapRead buffer and copies it out; waits for the GPU.
void map_read(Device& device, WGPUBuffer staging, void* out, uint64_t bytes);

}  // namespace webattn::gpu
