// Shared by `bench` and `tune`: one benchmark problem on the GPU and its timing.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "webattn/attention.hpp"
#include "webattn/errors.hpp"
#include "webattn/probe.hpp"

namespace webattn::cli {

// Cheap deterministic non-zero fill (large caches: no need for Gaussian draws).
inline std::vector<float> pseudo_random(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& f : v) {
    x = x * 1664525u + 1013904223u;
    f = static_cast<float>(x >> 8) / static_cast<float>(1u << 24) * 2.f - 1.f;
  }
  return v;
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Fills every position of a cache with pseudo-random K/V, in pieces of at most 32 MiB of
// fp32 rows, so a large cache needs no host or device buffer of its own size.
inline void fill_cache(Context& ctx, KVCache& cache) {
  const auto& c = cache.config();
  const uint32_t rows = std::max<uint32_t>(1, (32u << 20) / (c.kv_heads * c.head_dim * 4));
  for (uint32_t p = 0; p < c.capacity; p += rows) {
    const uint32_t n = std::min(rows, c.capacity - p);
    const auto count = size_t{n} * c.kv_heads * c.head_dim;
    cache.update(Tensor::from(ctx, {n, c.kv_heads, c.head_dim}, pseudo_random(count, 1 + 2 * p)),
                 Tensor::from(ctx, {n, c.kv_heads, c.head_dim}, pseudo_random(count, 2 + 2 * p)), p);
  }
}

// A filled cache of `context` positions and the tensors of one call of S new tokens, the
// activations (q, k_new, v_new, out) of dtype `act`.
struct BenchInputs {
  KVCache cache;
  Tensor q, k_new, v_new, out;
  uint32_t S, input_pos;
  BenchInputs(Context& ctx, uint32_t context, uint32_t S, uint32_t Hq, uint32_t Hkv, uint32_t D, DType dtype,
              DType act = DType::F32)
      : BenchInputs(ctx, KVCache(ctx, {context, Hkv, D, dtype}), S, Hq, act) {
    fill_cache(ctx, cache);
  }
  // Other activations over the same (already filled) cache.
  BenchInputs(Context& ctx, const KVCache& shared, uint32_t S, uint32_t Hq, DType act)
      : cache(shared),
        q(Tensor::from(ctx, {S, Hq, D()}, pseudo_random(size_t{S} * Hq * D(), 3), "q", act)),
        k_new(Tensor::from(ctx, {S, Hkv(), D()}, pseudo_random(size_t{S} * Hkv() * D(), 4), "k_new", act)),
        v_new(Tensor::from(ctx, {S, Hkv(), D()}, pseudo_random(size_t{S} * Hkv() * D(), 5), "v_new", act)),
        out(ctx, {S, Hq, D()}, "out", act),
        S(S),
        input_pos(cache.config().capacity - S) {}

 private:
  uint32_t D() const { return cache.config().head_dim; }
  uint32_t Hkv() const { return cache.config().kv_heads; }
};

// Allocation history for the churn measurements: `mib` MiB of storage buffers (pieces of
// at most 256 MiB or the device's maxBufferSize), all alive at once, each written whole so
// its memory is really touched, then all destroyed. Returns the number of buffers.
inline size_t churn_memory(Context& ctx, uint64_t mib) {
  const uint64_t piece = std::min<uint64_t>(256ull << 20, ctx.adapter().limits.max_buffer_size) / 4 * 4;
  std::vector<float> fill;
  std::vector<Tensor> held;
  for (uint64_t left = mib << 20; left > 0;) {
    const uint64_t bytes = std::min(piece, left);
    left -= bytes;
    if (fill.size() != bytes / 4) fill = pseudo_random(bytes / 4, 7);
    held.push_back(Tensor::from(ctx, {static_cast<uint32_t>(bytes / 4)}, fill, "churn"));
  }
  // A read-back behind the writes in queue order returns once they have all run, so the
  // buffers are destroyed after their memory was written, not while the writes are queued.
  Tensor::from(ctx, {1}, {0.f}, "churn sync").download();
  return held.size();
}

// The least time a call can take on this device: its FLOPs at the FMA ceiling or its
// bytes at the read-only bandwidth ceiling (a call mostly reads), whichever is longer.
struct Floor {
  double ms = 0;
  const char* ceiling = "";  // "fma" or "read"
};
inline Floor floor_of(const ProbeResult& c, double flops, double bytes) {
  const double compute = flops / (c.fma_gflops * 1e6), memory = bytes / (c.read_gbps * 1e6);
  return compute > memory ? Floor{compute, "fma"} : Floor{memory, "read"};
}

struct Timing {
  double per_call_ms = 0;                    // median over submissions of (span / batch)
  double f32_act_ms = 0;                     // bench --act f16: the same call with f32 activations
  std::map<std::string, double> stage_ms;    // median per pass label, pass-by-pass timestamps
  std::vector<std::string> stage_order;
};

// Warm-up length: untimed submissions continue until at least `warmup` of them ran AND
// `warmup_ms` of wall time passed. A GPU left idle (a cache being filled, memory churned on
// the CPU) drops its clock (the H200: 1980 -> 345 MHz within a second) and needs about a
// second of work to climb back in ~200 MHz steps; a few warm-up submissions end inside that
// climb, and the figure then depends on what the process did before (bench/RESULTS.md,
// "Allocation history": the issue #11 slowdown, measured to be this).
// The warm-up also keeps the GPU busy (keep_busy): a timed submission waits for its
// timestamps, so the GPU idles while the CPU reads them and records the next one (~40%
// utilisation on the H200 at C=16384). After a second of low utilisation (memory churned on
// the CPU) the H200's clock governor took that duty cycle for idleness and lowered the SM
// clock mid-measurement (1980 -> 1305..1905 MHz, reason "GPU idle", the memory clock
// unchanged), taking 1.2-1.9 s to climb back: 1.05x and 1.32x slower medians after churn in 2
// of 8 runs (bench/RESULTS.md, session 8). Untimed calls queued ahead of each warm-up
// submission keep the queue full instead (bench, tune). The timed submissions themselves are
// not padded: after a busy warm-up the clock held in every run measured (20 of 20).
struct WarmupClock {
  int count;
  double ms;
  bool busy = true;  // false: no untimed calls (bench --idle-warmup, the form before session 8)
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  bool warming(int done) const {
    return done < count || std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() < ms;
  }
  // Untimed submissions to queue before the next warm-up submission so that, with it, about
  // kBusyMs of GPU work is queued (by the last submission's time; at most kMaxBusy; none when
  // one submission alone lasts that long); none without a time-based warm-up (CPU adapters: no
  // clock to hold up, and every call costs real time there), and none before the first
  // submission's time is known.
  int keep_busy(double last_submission_ms) const {
    constexpr double kBusyMs = 4;
    constexpr int kMaxBusy = 256;
    if (!busy || ms <= 0 || last_submission_ms <= 0) return 0;
    return static_cast<int>(std::min<double>(kMaxBusy, std::ceil(kBusyMs / last_submission_ms) - 1));
  }
};

// --timeline: one CSV row per submission, warm-up included (submission index, wall-clock UTC
// seconds when it returned, whether it was a warm-up, per-call us), to line a measurement's
// course up with an outside trace (e.g. nvidia-smi's clocks) or see whether a slow median is
// slow throughout or only at the start.
struct Timeline {
  std::ofstream file;
  std::string path;
  std::string label;  // the point being timed; set by the caller before each timing
  explicit Timeline(const std::string& p) : file(p), path(p) {
    if (!file) throw Error("--timeline: cannot write " + path);
    file << "label,submission,utc_s,warmup,per_call_us" << std::endl;
    check();
  }
  void check() const {
    if (!file) throw Error("--timeline: writing " + path + " failed (disk full or the file went away)");
  }
  // Rows are flushed as written: a run that fails midway keeps what it measured.
  void add(int submission, bool warming, double per_call_ms) {
    file << quoted(label) << ',' << submission << ',' << std::fixed << utc() << std::defaultfloat << ','
         << (warming ? 1 : 0) << ',' << per_call_ms * 1e3 << std::endl;
    check();
  }
  // An event between timings (inputs allocated, memory churned): submission -1, no time.
  void mark(const std::string& event) {
    file << quoted(event) << ",-1," << std::fixed << utc() << std::defaultfloat << ",," << std::endl;
    check();
  }
  static std::string quoted(const std::string& s) {  // CSV: a field in quotes, its quotes doubled
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + '"';
  }
  static double utc() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
};

// The default time-based warm-up for an adapter: none on a CPU adapter (lavapipe,
// SwiftShader: no GPU clock to raise), else 1500 ms.
inline double default_warmup_ms(const AdapterSummary& adapter) { return adapter.adapter_type == "CPU" ? 0 : 1500; }

// `batch` calls back to back per submission; a submission timed only at its ends gives
// the per-call time, and (if stages) one timed pass by pass gives the stage split.
// Warm-up: see WarmupClock.
inline Timing time_calls(Sdpa& sdpa, BenchInputs& pb, SdpaOptions opt, int warmup, int repeats, int batch,
                         bool stages, double warmup_ms = 0, Timeline* timeline = nullptr, bool busy_warmup = true) {
  opt.profile = true;
  opt.repeat = batch;
  SdpaOptions span = opt;
  span.profile_span_only = true;
  std::vector<double> totals;
  std::map<std::string, std::vector<double>> runs;
  Timing t;
  SdpaOptions busy = opt;  // untimed calls that keep the GPU busy during the warm-up
  busy.profile = false;
  const WarmupClock clock{warmup, warmup_ms, busy_warmup};
  double last_ms = 0;
  for (int i = 0, timed = 0; timed < repeats; ++i) {
    const bool warming = clock.warming(i);
    if (warming)
      for (int n = clock.keep_busy(last_ms); n > 0; --n)
        sdpa.forward(pb.q, pb.k_new, pb.v_new, pb.cache, pb.input_pos, pb.out, busy);
    auto s = sdpa.forward(pb.q, pb.k_new, pb.v_new, pb.cache, pb.input_pos, pb.out, span);
    last_ms = s.span_ms();
    ForwardInfo info;
    if (stages) info = sdpa.forward(pb.q, pb.k_new, pb.v_new, pb.cache, pb.input_pos, pb.out, opt);
    if (timeline) timeline->add(i, warming, s.span_ms() / batch);
    if (warming) continue;
    ++timed;
    totals.push_back(s.span_ms() / batch);
    for (const auto& st : info.stages) {
      if (!runs.count(st.stage)) t.stage_order.push_back(st.stage);
      runs[st.stage].push_back(st.ms);
    }
  }
  t.per_call_ms = median(totals);
  for (auto& [name, v] : runs) t.stage_ms[name] = median(v);
  return t;
}

// A model step: one decode step of every layer's plan back to back (plans[0..L-1] at
// input_pos), `batch` tokens per submission timed at its ends; per-token time = median over
// submissions of (span / batch). One untimed-for-figures submission first makes the
// timestamp objects; after it, throws Error naming the counts if a submission created
// buffers, bind groups or pipelines (a model step must allocate nothing).
inline double time_model_step(Context& ctx, const std::vector<SdpaPlan*>& plans, uint32_t input_pos, int warmup,
                              int repeats, int batch, double warmup_ms = 0, Timeline* timeline = nullptr,
                              bool busy_warmup = true) {
  SdpaPlan::run_steps(plans, input_pos, 1, true);
  const ObjectCounts before = ctx.object_counts();
  std::vector<double> per_token;
  const WarmupClock clock{warmup, warmup_ms, busy_warmup};
  int runs = 0;
  double last_ms = 0;
  for (int timed = 0; timed < repeats; ++runs) {
    const bool warming = clock.warming(runs);
    if (warming)
      for (int n = clock.keep_busy(last_ms); n > 0; --n) SdpaPlan::run_steps(plans, input_pos, batch, false);
    const ForwardInfo info = SdpaPlan::run_steps(plans, input_pos, batch, true);
    last_ms = info.span_ms();
    if (timeline) timeline->add(runs, warming, info.span_ms() / batch);
    if (!warming) {
      per_token.push_back(info.span_ms() / batch);
      ++timed;
    }
  }
  const ObjectCounts after = ctx.object_counts();
  if (after.buffers != before.buffers || after.bind_groups != before.bind_groups ||
      after.pipelines != before.pipelines)
    throw Error("the model step allocated: " + std::to_string(after.buffers - before.buffers) + " buffers, " +
                std::to_string(after.bind_groups - before.bind_groups) + " bind groups, " +
                std::to_string(after.pipelines - before.pipelines) + " pipelines created over " +
                std::to_string(runs) + " submissions (" + std::to_string(plans.size()) +
                " layers); a planned step must create none");
  return median(per_token);
}

}  // namespace webattn::cli
