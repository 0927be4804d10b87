// Device ceilings measured through WebGPU: the floors that benchmarks compare with.
//
// Three ceilings, each the best of several kernel forms (the form that won is kept):
//   copy  — bytes read + written per second by a dst = src kernel
//   read  — bytes read per second by a kernel that only loads (and sums) its input
//   fma   — fp32 FLOP/s (2 per fma) of independent fma chains
// Every figure is a median of GPU-timestamped runs. `webattn probe` measures them once
// per adapter and saves them (save_ceilings); `bench` and `tune` read them back.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "webattn/attention.hpp"
#include "webattn/context.hpp"

namespace webattn {

enum class CeilingKind { Copy, Read, Fma };
const char* to_string(CeilingKind k);  // "copy", "read", "fma"

// One kernel form of a ceiling and what it measured.
struct ProbeForm {
  CeilingKind kind = CeilingKind::Copy;
  uint32_t width = 4;            // f32 lanes per element / chain: 1, 2 or 4
  uint32_t workgroup_size = 256;
  uint32_t workgroups = 0;       // grid; bandwidth forms: 0 = one step, the grid covers the buffer
  // copy / read: elements per thread per step; grid-stride (workgroups > 0) loops over the buffer
  uint32_t items = 1;
  // fma: independent chains per thread (4, 8, 16), chain steps per loop iteration, iterations
  uint32_t chains = 8, unroll = 4, iterations = 0;
  double work = 0;  // bytes (copy: read + written) or FLOPs per run
  double ms = 0;    // median GPU time of one run
  int runs = 0;     // timed runs the median is of
  double rate = 0;  // GB/s or GFLOP/s (1e9)
  std::string describe() const;  // e.g. "vec4, 1 per thread, one step, WG 256"
};

struct ProbeResult {
  double copy_gbps = 0;   // best copy form: bytes read + written per second / 1e9
  double read_gbps = 0;   // best read-only form: bytes read per second / 1e9
  double fma_gflops = 0;  // best fma form: FLOP/s / 1e9
  ProbeForm copy, read, fma;      // the winning forms
  std::vector<ProbeForm> tried;   // every form, in the order measured
  uint64_t buffer_bytes = 0;      // per buffer of the bandwidth probes
  int repeats = 0;                // timed runs asked per form (ProbeForm::runs: what each had)
  double seconds = 0;             // wall time of the whole probe
  std::string measured_at;        // UTC, ISO 8601 (set by probe_device)
};

struct ProbeOptions {
  // Bytes per bandwidth buffer; 0: sized from a short first measurement (runs of about
  // 10 ms, at least 64 MiB, at most 256 MiB, within the device's binding and buffer limits).
  uint64_t copy_bytes = 0;
  // FMA loop iterations per thread; 0: sized from a short first measurement (~2 ms runs).
  uint32_t fma_iterations = 0;
  int repeats = 10;  // timed runs per form (fewer on a device where a run takes over 20 ms)
  int warmup = 1;
  // Only the first reference form of each ceiling (vec4 copy / read, one per thread, WG 256;
  // 8 scalar fma chains unrolled x4 in 8192 workgroups of 256): quick looks and tests.
  bool reference_only = false;
  // Called after each form is measured (progress output).
  std::function<void(const ProbeForm&)> on_form;
};

// Throws UnsupportedError without timestamp-query, ShapeError for options out of range
// (copy_bytes under 16 or over the device's limits, repeats < 1, warmup < 0), GpuError if
// a kernel copied wrong data (the winning copy form is checked against its input).
ProbeResult probe_device(Context& ctx, const ProbeOptions& options = {});

// Read-only bandwidth of the memory a KV cache holds: the read form `form` (kind Read, e.g. a
// saved probe's winning read form; items, width and workgroup size as given, `workgroups` 0 =
// one step) over the whole K buffer, then over the whole V buffer, median GPU time of
// `repeats` runs each after one warm-up. Tells a slow allocation from a slow kernel (`bench
// --placement`): the same form reads every healthy buffer at the same rate. GB/s = bytes / s / 1e9.
// Throws UnsupportedError without timestamp-query, ShapeError for a form that is not a read
// form or repeats < 1.
struct CacheReadRate {
  double keys_gbps = 0, values_gbps = 0;
};
CacheReadRate measure_cache_read(const KVCache& cache, const ProbeForm& form, int repeats = 10);

// Saved ceilings: $WEBATTN_CEILINGS_FILE, else ceilings.json in the folder of tuning_path()
// (one JSON object keyed by tuning_key(adapter), like the tuning file).
std::string ceilings_path();
// The adapter's saved probe, or nothing if the file or its entry is absent; throws Error
// naming the file on malformed JSON.
std::optional<ProbeResult> load_ceilings(const std::string& path, const AdapterSummary& adapter);
void save_ceilings(const std::string& path, const AdapterSummary& adapter, const ProbeResult& result);
// The result as JSON text (every form tried included): what save_ceilings stores per adapter.
std::string to_json(const ProbeResult& result);

}  // namespace webattn
