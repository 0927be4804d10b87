#include "gpu/recorder.hpp"

namespace webattn::gpu {

EncodeCache::~EncodeCache() {
  for (auto& s : slots_)
    if (s.bind_group) wgpuBindGroupRelease(s.bind_group);
  if (query_set_) {
    wgpuQuerySetDestroy(query_set_);
    wgpuQuerySetRelease(query_set_);
  }
}

EncodeCache::Slot& EncodeCache::bind(size_t slot, const std::string& label, const ComputePipeline& pipeline,
                                     size_t param_bytes, const std::vector<Entry>& entries) {
  if (slot >= slots_.size()) slots_.resize(slot + 1);
  Slot& s = slots_[slot];
  if (s.bind_group && s.pipeline == pipeline.handle() && s.entries == entries && s.param_bytes == param_bytes)
    return s;
  if (s.bind_group) wgpuBindGroupRelease(s.bind_group);
  s.bind_group = nullptr;
  if (param_bytes && (!s.params || s.params->size() < param_bytes))
    s.params = std::make_unique<Buffer>(device_, param_bytes, label + " params",
                                        WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst);
  std::vector<WGPUBindGroupEntry> bg_entries;
  if (param_bytes) {
    WGPUBindGroupEntry e{};
    e.binding = 0;
    e.buffer = s.params->handle();
    e.size = param_bytes;
    bg_entries.push_back(e);
  }
  for (const auto& b : entries) {
    WGPUBindGroupEntry e{};
    e.binding = b.index;
    e.buffer = b.buffer;
    e.offset = b.offset;
    e.size = b.size;
    bg_entries.push_back(e);
  }
  WGPUBindGroupDescriptor bgd{};
  bgd.label = WGPUStringView{label.c_str(), WGPU_STRLEN};
  bgd.layout = pipeline.layout();
  bgd.entryCount = bg_entries.size();
  bgd.entries = bg_entries.data();
  s.bind_group = wgpuDeviceCreateBindGroup(device_.handle(), &bgd);
  ++device_.counts().bind_groups;
  s.pipeline = pipeline.handle();
  s.entries = entries;
  s.param_bytes = param_bytes;
  return s;
}

WGPUQuerySet EncodeCache::query_set() {
  if (!query_set_) {
    WGPUQuerySetDescriptor q{};
    q.label = WGPUStringView{"webattn timestamps", WGPU_STRLEN};
    q.type = WGPUQueryType_Timestamp;
    q.count = 2 * kMaxTimedPasses;
    query_set_ = wgpuDeviceCreateQuerySet(device_.handle(), &q);
    ++device_.counts().query_sets;
  }
  return query_set_;
}

Buffer& EncodeCache::resolve() {
  if (!resolve_)
    resolve_ = std::make_unique<Buffer>(device_, 8ull * 2 * kMaxTimedPasses, "timestamp resolve",
                                        WGPUBufferUsage_QueryResolve | WGPUBufferUsage_CopySrc);
  return *resolve_;
}

Buffer& EncodeCache::readback() {
  if (!readback_)
    readback_ = std::make_unique<Buffer>(device_, 8ull * 2 * kMaxTimedPasses, "timestamp readback",
                                         WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst);
  return *readback_;
}

Recorder::Recorder(Device& device, bool timed, bool span_only, EncodeCache* cache)
    : device_(device), cache_(cache), span_only_(span_only) {
  if (!cache_) {
    own_cache_ = std::make_unique<EncodeCache>(device);
    cache_ = own_cache_.get();
  }
  timing_cache_ = cache_;
  device_.push_scopes();
  scopes_open_ = true;
  WGPUCommandEncoderDescriptor desc{};
  desc.label = WGPUStringView{"webattn encoder", WGPU_STRLEN};
  encoder_ = wgpuDeviceCreateCommandEncoder(device_.handle(), &desc);
  ++device_.counts().command_encoders;
  if (timed && device_.has_timestamps()) {
    query_set_ = cache_->query_set();
    cache_->resolve();
    cache_->readback();
  }
}

Recorder::Recorder(Device& device, WGPUCommandEncoder host_encoder, EncodeCache* cache)
    : device_(device), cache_(cache), encoder_(host_encoder), host_encoder_(true) {
  if (!host_encoder) throw ShapeError("the host's WGPUCommandEncoder is null");
  // Refuse before anything is recorded where the encoder cannot write parameters itself.
  extras::require_encoder_writes();
  if (!cache_) {
    own_cache_ = std::make_unique<EncodeCache>(device);
    cache_ = own_cache_.get();
  }
  timing_cache_ = cache_;
  device_.push_scopes();
  scopes_open_ = true;
}

Recorder::~Recorder() {
  if (encoder_ && !host_encoder_) wgpuCommandEncoderRelease(encoder_);
  if (scopes_open_) {
    try {
      device_.pop_scopes("abandoned recording");
    } catch (...) {
      // the error was already reported by whatever threw first
    }
  }
}

void Recorder::dispatch(const std::string& label, const ComputePipeline& pipeline, const void* params,
                        size_t param_bytes, const std::vector<Binding>& bindings, Grid grid) {
  if (submitted_) throw Error("Recorder::dispatch after submit");
  const auto max_dim = device_.limits().max_compute_workgroups_per_dimension;
  if (grid.x > max_dim || grid.y > max_dim || grid.z > max_dim)
    throw UnsupportedError("pass '" + label + "' needs a grid of " + std::to_string(grid.x) + "x" +
                           std::to_string(grid.y) + "x" + std::to_string(grid.z) +
                           " workgroups, over this device's maxComputeWorkgroupsPerDimension " +
                           std::to_string(max_dim));
  std::vector<EncodeCache::Entry> entries;
  entries.reserve(bindings.size());
  for (const auto& b : bindings) {
    const uint64_t size = b.size == WGPU_WHOLE_SIZE ? b.buffer->size() - b.offset : b.size;
    if (size > device_.limits().max_storage_buffer_binding_size)
      throw UnsupportedError("pass '" + label + "' binds " + std::to_string(size) + " bytes of '" +
                             b.buffer->label() + "', over this device's maxStorageBufferBindingSize " +
                             std::to_string(device_.limits().max_storage_buffer_binding_size));
    entries.push_back({b.index, b.buffer->handle(), b.buffer->offset() + b.offset, size});
  }
  const size_t bytes = params ? param_bytes : 0;
  EncodeCache::Slot& slot = cache_->bind(passes_ - slot_base_, label, pipeline, bytes, entries);
  // Own encoder: every pass of a recording has its own slot, and queue writes land before
  // the submission runs. A host's encoder may hold several recordings of one plan before
  // it is submitted, so there the encoder itself writes each pass's parameters, in order.
  // (Encoder writes cost a transfer and a barrier per pass, so they are not the default.)
  if (bytes && host_encoder_)
    extras::encoder_write_buffer(encoder_, slot.params->handle(), 0, params, bytes);
  else if (bytes)
    wgpuQueueWriteBuffer(device_.queue(), slot.params->handle(), 0, params, bytes);

  WGPUPassTimestampWrites tw{};
  WGPUComputePassDescriptor pd{};
  pd.label = WGPUStringView{label.c_str(), WGPU_STRLEN};
  if (query_set_ && !span_only_) {
    const auto n = static_cast<uint32_t>(labels_.size());
    if (n >= EncodeCache::kMaxTimedPasses)
      throw Error("more than " + std::to_string(EncodeCache::kMaxTimedPasses) + " timed passes");
    tw.querySet = query_set_;
    tw.beginningOfPassWriteIndex = 2 * n;
    tw.endOfPassWriteIndex = 2 * n + 1;
    pd.timestampWrites = &tw;
    labels_.push_back(label);
  }
  WGPUComputePassEncoder pass = wgpuCommandEncoderBeginComputePass(encoder_, &pd);
  wgpuComputePassEncoderSetPipeline(pass, pipeline.handle());
  wgpuComputePassEncoderSetBindGroup(pass, 0, slot.bind_group, 0, nullptr);
  wgpuComputePassEncoderDispatchWorkgroups(pass, grid.x, grid.y, grid.z);
  wgpuComputePassEncoderEnd(pass);
  wgpuComputePassEncoderRelease(pass);
  ++passes_;
}

void Recorder::mark(const std::string& label) {
  if (!query_set_) return;
  const auto n = static_cast<uint32_t>(labels_.size());
  if (n >= EncodeCache::kMaxTimedPasses)
    throw Error("more than " + std::to_string(EncodeCache::kMaxTimedPasses) + " timed passes");
  WGPUPassTimestampWrites tw{};
  tw.querySet = query_set_;
  tw.beginningOfPassWriteIndex = 2 * n;
  tw.endOfPassWriteIndex = 2 * n + 1;
  WGPUComputePassDescriptor pd{};
  pd.label = WGPUStringView{label.c_str(), WGPU_STRLEN};
  pd.timestampWrites = &tw;
  WGPUComputePassEncoder pass = wgpuCommandEncoderBeginComputePass(encoder_, &pd);
  wgpuComputePassEncoderEnd(pass);
  wgpuComputePassEncoderRelease(pass);
  labels_.push_back(label);
}

void Recorder::use_cache(EncodeCache& cache) {
  cache_ = &cache;
  slot_base_ = passes_;
}

void Recorder::copy(const Buffer& src, uint64_t src_offset, const Buffer& dst, uint64_t dst_offset, uint64_t bytes) {
  wgpuCommandEncoderCopyBufferToBuffer(encoder_, src.handle(), src.offset() + src_offset, dst.handle(),
                                       dst.offset() + dst_offset, bytes);
}

void Recorder::end_scopes(const std::string& what) {
  scopes_open_ = false;
  device_.pop_scopes(what);
}

void Recorder::submit() {
  if (submitted_) throw Error("Recorder::submit called twice");
  submitted_ = true;
  std::string what = "recording passes";
  if (!labels_.empty()) {
    what += " [";
    for (size_t i = 0; i < labels_.size(); ++i) what += (i ? ", " : "") + labels_[i];
    what += "]";
  }
  if (host_encoder_) return end_scopes(what + " into the host's encoder");
  if (query_set_ && !labels_.empty()) {
    const auto n = 2 * static_cast<uint32_t>(labels_.size());
    wgpuCommandEncoderResolveQuerySet(encoder_, query_set_, 0, n, timing_cache_->resolve().handle(), 0);
    wgpuCommandEncoderCopyBufferToBuffer(encoder_, timing_cache_->resolve().handle(), 0, timing_cache_->readback().handle(), 0,
                                         8ull * n);
  }
  WGPUCommandBuffer cmd = wgpuCommandEncoderFinish(encoder_, nullptr);
  wgpuQueueSubmit(device_.queue(), 1, &cmd);
  wgpuCommandBufferRelease(cmd);
  end_scopes(what);
}

void Recorder::discard() {
  if (submitted_) throw Error("Recorder::discard after submit");
  submitted_ = true;
  end_scopes("preparing passes");
}

std::vector<PassTime> Recorder::timings() {
  if (!submitted_) throw Error("Recorder::timings before submit");
  std::vector<PassTime> out;
  if (!query_set_ || labels_.empty() || host_encoder_) return out;
  std::vector<uint64_t> ticks(2 * labels_.size());
  device_.scoped("reading timestamps", [&] {
    map_read(device_, timing_cache_->readback().handle(), ticks.data(), ticks.size() * 8);
  });
  for (size_t i = 0; i < labels_.size(); ++i) {
    const uint64_t a = ticks[2 * i], b = ticks[2 * i + 1];
    out.push_back({labels_[i], b >= a ? static_cast<double>(b - a) * 1e-6 : 0.0,
                   a >= ticks[0] ? static_cast<double>(a - ticks[0]) * 1e-6 : 0.0});
  }
  return out;
}

}  // namespace webattn::gpu
