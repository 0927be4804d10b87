#include "gpu/buffer.hpp"

#include <cstring>

namespace webattn::gpu {

namespace {
uint64_t align4(uint64_t n) { return (n + 3) & ~uint64_t{3}; }
}  // namespace

Buffer::Buffer(Device& device, uint64_t bytes, const std::string& label, WGPUBufferUsage usage)
    : device_(&device), size_(align4(bytes == 0 ? 4 : bytes)), label_(label) {
  const auto& lim = device.limits();
  if (size_ > lim.max_buffer_size)
    throw UnsupportedError("buffer '" + label + "' needs " + std::to_string(bytes) +
                           " bytes, over this device's maxBufferSize " + std::to_string(lim.max_buffer_size));
  device.scoped("creating buffer '" + label + "' of " + std::to_string(size_) + " bytes", [&] {
    WGPUBufferDescriptor desc{};
    desc.label = WGPUStringView{label_.c_str(), WGPU_STRLEN};
    desc.usage = usage;
    desc.size = size_;
    buffer_ = wgpuDeviceCreateBuffer(device.handle(), &desc);
    ++device.counts().buffers;
  });
}

namespace {
std::string usage_names(WGPUBufferUsage u) {
  std::string s;
  const std::pair<WGPUBufferUsage, const char*> names[] = {
      {WGPUBufferUsage_MapRead, "MapRead"}, {WGPUBufferUsage_MapWrite, "MapWrite"},
      {WGPUBufferUsage_CopySrc, "CopySrc"}, {WGPUBufferUsage_CopyDst, "CopyDst"},
      {WGPUBufferUsage_Uniform, "Uniform"}, {WGPUBufferUsage_Storage, "Storage"},
      {WGPUBufferUsage_QueryResolve, "QueryResolve"}};
  for (auto [bit, name] : names)
    if (u & bit) s += (s.empty() ? "" : "|") + std::string(name);
  return s.empty() ? "none" : s;
}
}  // namespace

Buffer::Buffer(Device& device, WGPUBuffer external, uint64_t offset, uint64_t size, const std::string& label)
    : device_(&device), buffer_(external), offset_(offset), size_(size), owned_(false), label_(label) {
  if (!external) throw ShapeError("'" + label + "': the host buffer is null");
  const uint64_t total = wgpuBufferGetSize(external);
  const uint64_t align = device.limits().min_storage_buffer_offset_alignment;
  if (!(wgpuBufferGetUsage(external) & WGPUBufferUsage_Storage))
    throw ShapeError("'" + label + "': the host buffer's usage is " + usage_names(wgpuBufferGetUsage(external)) +
                     "; webattn binds it as a storage buffer, so it needs Storage");
  if (align && offset % align != 0)
    throw ShapeError("'" + label + "': offset " + std::to_string(offset) +
                     " is not a multiple of this device's minStorageBufferOffsetAlignment " + std::to_string(align));
  if (size == 0 || size % 4 != 0)
    throw ShapeError("'" + label + "': a view of " + std::to_string(size) + " bytes (must be a positive multiple of 4)");
  if (offset > total || size > total - offset)
    throw ShapeError("'" + label + "': " + std::to_string(size) + " bytes at offset " + std::to_string(offset) +
                     " overflow the host buffer of " + std::to_string(total) + " bytes");
  wgpuBufferAddRef(external);
}

Buffer::~Buffer() {
  if (buffer_) {
    if (owned_) wgpuBufferDestroy(buffer_);
    wgpuBufferRelease(buffer_);
  }
}

void Buffer::require_usage(WGPUBufferUsage usage, const char* what) const {
  if (owned_ || (wgpuBufferGetUsage(buffer_) & usage)) return;
  throw ShapeError(std::string(what) + " host buffer '" + label_ + "' needs " + usage_names(usage) +
                   " usage; it has " + usage_names(wgpuBufferGetUsage(buffer_)));
}

void Buffer::write(const void* data, uint64_t bytes, uint64_t offset) {
  if (offset + bytes > size_)
    throw ShapeError("writing " + std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                     " overflows buffer '" + label_ + "' of " + std::to_string(size_) + " bytes");
  require_usage(WGPUBufferUsage_CopyDst, "writing to");
  device_->check();
  offset += offset_;
  // WebGPU copies move multiples of 4 bytes; pad a ragged tail with zeros.
  uint64_t whole = bytes & ~uint64_t{3};
  if (whole) wgpuQueueWriteBuffer(device_->queue(), buffer_, offset, data, whole);
  if (whole != bytes) {
    uint8_t tail[4] = {0, 0, 0, 0};
    std::memcpy(tail, static_cast<const uint8_t*>(data) + whole, bytes - whole);
    wgpuQueueWriteBuffer(device_->queue(), buffer_, offset + whole, tail, 4);
  }
}

void map_read(Device& device, WGPUBuffer staging, void* out, uint64_t bytes) {
  struct MapState {
    bool done = false;
    WGPUMapAsyncStatus status = WGPUMapAsyncStatus_Error;
    std::string message;
  } st;
  WGPUBufferMapCallbackInfo cb{};
  cb.mode = WGPUCallbackMode_AllowProcessEvents;
  cb.callback = [](WGPUMapAsyncStatus status, WGPUStringView message, void* u1, void*) {
    auto* s = static_cast<MapState*>(u1);
    s->status = status;
    s->message = to_string(message);
    s->done = true;
  };
  cb.userdata1 = &st;
  wgpuBufferMapAsync(staging, WGPUMapMode_Read, 0, static_cast<size_t>(bytes), cb);
  device.wait_until([&] { return st.done; });
  if (st.status != WGPUMapAsyncStatus_Success) {
    device.check();
    throw GpuError("mapping a readback buffer of " + std::to_string(bytes) + " bytes failed: " + st.message);
  }
  const void* src = wgpuBufferGetConstMappedRange(staging, 0, static_cast<size_t>(bytes));
  if (!src) throw GpuError("wgpuBufferGetConstMappedRange returned null");
  std::memcpy(out, src, bytes);
  wgpuBufferUnmap(staging);
}

void Buffer::read(void* out, uint64_t bytes, uint64_t offset) const {
  if (offset + bytes > size_)
    throw ShapeError("reading " + std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                     " overflows buffer '" + label_ + "' of " + std::to_string(size_) + " bytes");
  if (bytes == 0) return;
  require_usage(WGPUBufferUsage_CopySrc, "reading back");
  offset += offset_;
  uint64_t begin = offset & ~uint64_t{3};
  uint64_t span = align4(offset + bytes) - begin;
  std::vector<uint8_t> tmp(span);
  device_->scoped("reading back buffer '" + label_ + "'", [&] {
    WGPUBufferDescriptor desc{};
    desc.label = WGPUStringView{"webattn readback", WGPU_STRLEN};
    desc.usage = WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst;
    desc.size = span;
    WGPUBuffer staging = wgpuDeviceCreateBuffer(device_->handle(), &desc);
    WGPUCommandEncoder enc = wgpuDeviceCreateCommandEncoder(device_->handle(), nullptr);
    ++device_->counts().buffers;
    ++device_->counts().command_encoders;
    wgpuCommandEncoderCopyBufferToBuffer(enc, buffer_, begin, staging, 0, span);
    WGPUCommandBuffer cmd = wgpuCommandEncoderFinish(enc, nullptr);
    wgpuQueueSubmit(device_->queue(), 1, &cmd);
    wgpuCommandBufferRelease(cmd);
    wgpuCommandEncoderRelease(enc);
    map_read(*device_, staging, tmp.data(), span);
    wgpuBufferDestroy(staging);
    wgpuBufferRelease(staging);
  });
  std::memcpy(out, tmp.data() + (offset - begin), bytes);
}

void Buffer::fill_u32(uint32_t pattern) {
  std::vector<uint32_t> words(size_ / 4, pattern);
  write(words.data(), words.size() * 4);
}

}  // namespace webattn::gpu
