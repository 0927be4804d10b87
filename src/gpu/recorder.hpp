// Records compute dispatches into one command encoder (webattn's own, submitted by
// submit(), or a host's). Each dispatch is its own labelled compute pass, so a GPU
// timestamp pair can bracket it; Recorder::timings() resolves those to milliseconds.
// The bind groups, parameter buffers and timestamp queries a recording needs live in an
// EncodeCache, so that recording the same passes again (a plan's next decode step)
// creates no GPU objects.
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
  uint64_t offset = 0;           // relative to the Buffer (views add their own offset)
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

// GPU objects kept between recordings: per pass slot (the n-th dispatch of a recording)
// its bind group and uniform parameter buffer, reused while the pipeline and bindings
// stay the same; and the timestamp query set with its resolve and readback buffers.
class EncodeCache {
 public:
  static constexpr uint32_t kMaxTimedPasses = 1024;
  explicit EncodeCache(Device& device) : device_(device) {}
  ~EncodeCache();
  EncodeCache(const EncodeCache&) = delete;
  EncodeCache& operator=(const EncodeCache&) = delete;

  struct Entry {
    uint32_t index;
    WGPUBuffer buffer;
    uint64_t offset, size;
    bool operator==(const Entry& o) const {
      return index == o.index && buffer == o.buffer && offset == o.offset && size == o.size;
    }
  };
  struct Slot {
    WGPUComputePipeline pipeline = nullptr;
    std::vector<Entry> entries;
    size_t param_bytes = 0;
    std::unique_ptr<Buffer> params;  // uniform, binding 0
    WGPUBindGroup bind_group = nullptr;
  };
  // The slot's bind group for this pipeline + bindings, made (and counted) only when it changed.
  Slot& bind(size_t slot, const std::string& label, const ComputePipeline& pipeline, size_t param_bytes,
             const std::vector<Entry>& entries);

  WGPUQuerySet query_set();
  Buffer& resolve();   // QueryResolve | CopySrc
  Buffer& readback();  // MapRead | CopyDst

 private:
  Device& device_;
  std::vector<Slot> slots_;
  WGPUQuerySet query_set_ = nullptr;
  std::unique_ptr<Buffer> resolve_, readback_;
};

class Recorder {
 public:
  // timed: write a timestamp pair around each pass (needs the timestamp-query feature;
  // silently untimed without it: timings() then returns an empty list).
  // span_only: no per-pass timestamps; mark() passes carry the only ones.
  // cache: where bind groups etc. are kept (null: a private one, dropped with the Recorder).
  Recorder(Device& device, bool timed, bool span_only = false, EncodeCache* cache = nullptr);
  // Records into a host's encoder (never timed, never submitted: the host finishes it).
  Recorder(Device& device, WGPUCommandEncoder host_encoder, EncodeCache* cache);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // One compute pass: `params` (a POD struct, may be null) goes to binding 0 as a
  // uniform buffer (a queue write for webattn's own encoder; written by a host's encoder
  // itself, so several recordings of one plan may share that encoder),
  // `bindings` are storage buffers.
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
  // The passes recorded from now on take their bind groups and parameters from `cache`,
  // numbered from its slot 0 (several plans' steps in one recording, each with its own).
  void use_cache(EncodeCache& cache);

  // Own encoder: finishes and submits it. Host encoder: ends the recording (the host
  // submits). Dawn errors raised while recording surface here.
  void submit();
  // Ends the recording without submitting anything (plans use it to create their
  // objects ahead of the first step); errors surface here too.
  void discard();
  // After submit(): per-pass GPU time in ms (waits for the GPU).
  std::vector<PassTime> timings();
  size_t passes() const { return passes_; }
  bool timed() const { return query_set_ != nullptr; }

 private:
  void end_scopes(const std::string& what);
  Device& device_;
  std::unique_ptr<EncodeCache> own_cache_;
  EncodeCache* cache_;
  EncodeCache* timing_cache_;  // the query set and its buffers: the cache given at construction
  WGPUCommandEncoder encoder_ = nullptr;
  bool host_encoder_ = false;
  WGPUQuerySet query_set_ = nullptr;
  std::vector<std::string> labels_;  // timed passes
  size_t passes_ = 0;                // every dispatch
  size_t slot_base_ = 0;             // passes_ when cache_ was last set (slot = passes_ - slot_base_)
  bool submitted_ = false;
  bool span_only_ = false;
  bool scopes_open_ = false;
};

}  // namespace webattn::gpu
