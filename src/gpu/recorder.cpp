#include "gpu/recorder.hpp"

namespace webattn::gpu {

Recorder::Recorder(Device& device, bool timed, bool span_only) : device_(device), span_only_(span_only) {
  device_.push_scopes();
  scopes_open_ = true;
  WGPUCommandEncoderDescriptor desc{};
  desc.label = WGPUStringView{"webattn encoder", WGPU_STRLEN};
  encoder_ = wgpuDeviceCreateCommandEncoder(device_.handle(), &desc);
  if (timed && device_.has_timestamps()) {
    WGPUQuerySetDescriptor q{};
    q.label = WGPUStringView{"webattn timestamps", WGPU_STRLEN};
    q.type = WGPUQueryType_Timestamp;
    q.count = 2 * kMaxTimedPasses;
    query_set_ = wgpuDeviceCreateQuerySet(device_.handle(), &q);
    resolve_ = std::make_unique<Buffer>(device_, 8ull * 2 * kMaxTimedPasses, "timestamp resolve",
                                        WGPUBufferUsage_QueryResolve | WGPUBufferUsage_CopySrc);
  }
}

Recorder::~Recorder() {
  for (auto bg : bind_groups_) wgpuBindGroupRelease(bg);
  if (encoder_) wgpuCommandEncoderRelease(encoder_);
  if (query_set_) {
    wgpuQuerySetDestroy(query_set_);
    wgpuQuerySetRelease(query_set_);
  }
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
  std::vector<WGPUBindGroupEntry> entries;
  if (params) {
    auto ub = std::make_unique<Buffer>(device_, param_bytes, label + " params",
                                       WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst);
    ub->write(params, param_bytes);
    WGPUBindGroupEntry e{};
    e.binding = 0;
    e.buffer = ub->handle();
    e.size = ub->size();
    entries.push_back(e);
    uniforms_.push_back(std::move(ub));
  }
  for (const auto& b : bindings) {
    WGPUBindGroupEntry e{};
    e.binding = b.index;
    e.buffer = b.buffer->handle();
    e.offset = b.offset;
    e.size = b.size == WGPU_WHOLE_SIZE ? b.buffer->size() - b.offset : b.size;
    if (e.size > device_.limits().max_storage_buffer_binding_size)
      throw UnsupportedError("pass '" + label + "' binds " + std::to_string(e.size) + " bytes of '" +
                             b.buffer->label() + "', over this device's maxStorageBufferBindingSize " +
                             std::to_string(device_.limits().max_storage_buffer_binding_size));
    entries.push_back(e);
  }
  WGPUBindGroupDescriptor bgd{};
  bgd.label = WGPUStringView{label.c_str(), WGPU_STRLEN};
  bgd.layout = pipeline.layout();
  bgd.entryCount = entries.size();
  bgd.entries = entries.data();
  WGPUBindGroup bg = wgpuDeviceCreateBindGroup(device_.handle(), &bgd);
  bind_groups_.push_back(bg);

  WGPUPassTimestampWrites tw{};
  WGPUComputePassDescriptor pd{};
  pd.label = WGPUStringView{label.c_str(), WGPU_STRLEN};
  if (query_set_ && !span_only_) {
    const auto n = static_cast<uint32_t>(labels_.size());
    if (n >= kMaxTimedPasses) throw Error("more than " + std::to_string(kMaxTimedPasses) + " timed passes");
    tw.querySet = query_set_;
    tw.beginningOfPassWriteIndex = 2 * n;
    tw.endOfPassWriteIndex = 2 * n + 1;
    pd.timestampWrites = &tw;
  }
  WGPUComputePassEncoder pass = wgpuCommandEncoderBeginComputePass(encoder_, &pd);
  wgpuComputePassEncoderSetPipeline(pass, pipeline.handle());
  wgpuComputePassEncoderSetBindGroup(pass, 0, bg, 0, nullptr);
  wgpuComputePassEncoderDispatchWorkgroups(pass, grid.x, grid.y, grid.z);
  wgpuComputePassEncoderEnd(pass);
  wgpuComputePassEncoderRelease(pass);
  if (!span_only_) labels_.push_back(label);
}

void Recorder::mark(const std::string& label) {
  if (!query_set_) return;
  const auto n = static_cast<uint32_t>(labels_.size());
  if (n >= kMaxTimedPasses) throw Error("more than " + std::to_string(kMaxTimedPasses) + " timed passes");
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

void Recorder::copy(const Buffer& src, uint64_t src_offset, const Buffer& dst, uint64_t dst_offset, uint64_t bytes) {
  wgpuCommandEncoderCopyBufferToBuffer(encoder_, src.handle(), src_offset, dst.handle(), dst_offset, bytes);
}

void Recorder::submit() {
  if (submitted_) throw Error("Recorder::submit called twice");
  submitted_ = true;
  if (query_set_ && !labels_.empty())
    wgpuCommandEncoderResolveQuerySet(encoder_, query_set_, 0, 2 * static_cast<uint32_t>(labels_.size()),
                                      resolve_->handle(), 0);
  WGPUCommandBuffer cmd = wgpuCommandEncoderFinish(encoder_, nullptr);
  wgpuQueueSubmit(device_.queue(), 1, &cmd);
  wgpuCommandBufferRelease(cmd);
  std::string what = "recording passes [";
  for (size_t i = 0; i < labels_.size(); ++i) what += (i ? ", " : "") + labels_[i];
  scopes_open_ = false;
  device_.pop_scopes(what + "]");
}

std::vector<PassTime> Recorder::timings() {
  if (!submitted_) throw Error("Recorder::timings before submit");
  std::vector<PassTime> out;
  if (!query_set_ || labels_.empty()) return out;
  std::vector<uint64_t> ticks = resolve_->download<uint64_t>(2 * labels_.size());
  for (size_t i = 0; i < labels_.size(); ++i) {
    const uint64_t a = ticks[2 * i], b = ticks[2 * i + 1];
    out.push_back({labels_[i], b >= a ? static_cast<double>(b - a) * 1e-6 : 0.0,
                   a >= ticks[0] ? static_cast<double>(a - ticks[0]) * 1e-6 : 0.0});
  }
  return out;
}

}  // namespace webattn::gpu
