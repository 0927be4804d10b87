// Records several compute dispatches into one command encoder and submits them
// together. Each dispatch is its own labelled compute pass, so a GPU timestamp
// pair can bracket it; Recorder::timings() resolves those to milliseconds.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gpu/buffer.hpp"
#include "gpu/pipeline.hpp"

namespace webattn::gpu {

struct Binding {
  uint32_t index;
  const Buffer* buffer;
  uint64_t offset = 0;
  uint64_t size = WGPU_WHOLE_SIZE;
};

struct PassTime {
  std::string label;
  double ms;        // end - begin of the pass
  double start_ms;  // begin, relative to the first pass's begin
};

struct Grid {
  uint32_t x = 1, y = 1, z = 1;
};

class Recorder {
 public:
  // timed: write a timestamp pair around each pass (needs the timestamp-query feature;
  // silently untimed without it: timings() then returns an empty list).
  // span_only: no per-pass timestamps; mark() passes carry the only ones.
  Recorder(Device& device, bool timed, bool span_only = false);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // One compute pass: `params` (a POD struct, may be null) goes to binding 0 as a
  // uniform buffer, `bindings` are storage buffers.
  void dispatch(const std::string& label, const ComputePipeline& pipeline, const void* params, size_t param_bytes,
                const std::vector<Binding>& bindings, Grid grid);
  template <class P>
  void dispatch(const std::string& label, const ComputePipeline& pipeline, const P& params,
                const std::vector<Binding>& bindings, Grid grid) {
    dispatch(label, pipeline, &params, sizeof(P), bindings, grid);
  }
  void copy(const Buffer& src, uint64_t src_offset, const Buffer& dst, uint64_t dst_offset, uint64_t bytes);
  // An empty timestamped pass: timings() reports it as a zero-length pass at its start.
  void mark(const std::string& label);

  // Finishes the encoder and submits; Dawn errors raised while recording surface here.
  void submit();
  // After submit(): per-pass GPU time in ms (waits for the GPU).
  std::vector<PassTime> timings();
  size_t passes() const { return labels_.size(); }
  bool timed() const { return query_set_ != nullptr; }

 private:
  static constexpr uint32_t kMaxTimedPasses = 1024;
  Device& device_;
  WGPUCommandEncoder encoder_ = nullptr;
  WGPUQuerySet query_set_ = nullptr;
  std::unique_ptr<Buffer> resolve_;
  std::vector<std::string> labels_;
  std::vector<std::unique_ptr<Buffer>> uniforms_;
  std::vector<WGPUBindGroup> bind_groups_;
  bool submitted_ = false;
  bool span_only_ = false;
  bool scopes_open_ = false;
};

}  // namespace webattn::gpu
