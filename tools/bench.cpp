// `webattn bench`: per-stage GPU time of prefill and decode for every algorithm, with
// the AV strided/coalesced ratio and % of the device floor (bytes / measured bandwidth,
// FLOPs / measured FMA rate, whichever is larger).
#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <map>
#include <nlohmann/json.hpp>

#include "attention/cost.hpp"
#include "commands.hpp"
#include "measure.hpp"
#include "presets.hpp"
#include "webattn/attention.hpp"
#include "webattn/errors.hpp"
#include "webattn/probe.hpp"
#include "webattn/verify.hpp"

namespace webattn::cli {

namespace {

struct BenchArgs {
  DeviceArgs device;
  std::string preset = "llama3-8b";
  uint32_t heads = 0, kv_heads = 0, head_dim = 0;
  std::vector<uint32_t> prefill = {64, 128};
  std::vector<uint32_t> decode = {256, 512};
  std::vector<std::string> algorithms;
  std::vector<std::string> dtypes = {"f32"};
  int repeats = 20, warmup = 3;
  int batch = 10;  // calls recorded back to back per timed submission
  uint32_t split_workgroups = 0;
  uint32_t flash_threads_x = 0;
  std::string json, csv;
  uint32_t probe_mib = 64;
};

struct Row {
  std::string mode, algorithm, dtype;
  uint32_t context, S, input_pos;
  std::map<std::string, double> stage_ms;
  std::vector<std::string> stage_order;
  double total_ms, floor_ms, flops, bytes;
};

}  // namespace

Runner add_bench(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  a->device.add(app);
  app.add_option("--preset", a->preset, "model shape: llama3-8b (Hq 32, Hkv 8, D 128), llama3.2-1b (D 64)");
  app.add_option("--heads", a->heads, "query heads (overrides the preset)");
  app.add_option("--kv-heads", a->kv_heads, "kv heads (overrides the preset)");
  app.add_option("--head-dim", a->head_dim, "head dim (overrides the preset)");
  app.add_option("--prefill", a->prefill, "prefill context lengths (S = C, input_pos 0); 0 to skip")->delimiter(',');
  app.add_option("--decode", a->decode, "decode context lengths (S = 1, input_pos C-1); 0 to skip")->delimiter(',');
  app.add_option("--algorithm", a->algorithms, "algorithms (default: all that apply)");
  app.add_option("--dtype", a->dtypes, "cache dtypes: f32, f16")->check(CLI::IsMember({"f32", "f16"}));
  app.add_option("--repeats", a->repeats, "timed runs per point (median reported)")->check(CLI::PositiveNumber);
  app.add_option("--warmup", a->warmup, "untimed runs first")->check(CLI::NonNegativeNumber);
  app.add_option("--batch", a->batch,
                 "calls recorded back to back in each timed submission (steady state); 1 = isolated calls")
      ->check(CLI::PositiveNumber);
  app.add_option("--split-workgroups", a->split_workgroups, "split-kv: target workgroup count (0: default)");
  app.add_option("--flash-threads-x", a->flash_threads_x, "flash-prefill: 16 (64-row tiles) or 8 (128-row); 0: tuning")
      ->check(CLI::IsMember({0, 8, 16}));
  app.add_option("--probe-mib", a->probe_mib, "buffer size for the bandwidth probe");
  app.add_option("--json", a->json, "write all results as JSON (bench/plot.py draws charts from it)");
  app.add_option("--csv", a->csv, "write one row per result as CSV");
  return [a] {
    const Preset& pre = find_preset(a->preset);
    const uint32_t Hq = a->heads ? a->heads : pre.q_heads, Hkv = a->kv_heads ? a->kv_heads : pre.kv_heads,
                   D = a->head_dim ? a->head_dim : pre.head_dim;
    Context ctx(a->device.options());
    const auto& ad = ctx.adapter();
    fmt::print("device: {} ({}){}\n", ad.device, ad.backend,
               ad.adapter_type == "CPU" ? "  -- a CPU adapter: these are NOT GPU timings" : "");
    if (!ctx.has_timestamps()) throw UnsupportedError("this device has no timestamp-query feature: cannot time kernels");
    ProbeOptions po;
    po.copy_bytes = uint64_t{a->probe_mib} << 20;
    po.repeats = 10;
    const ProbeResult probe = probe_device(ctx, po);
    fmt::print("floors from probe: copy {:.1f} GB/s, fp32 FMA {:.1f} GFLOP/s\n", probe.copy_gbps, probe.fma_gflops);
    fmt::print("shape: Hq {} Hkv {} D {}; {} calls back to back per submission, median of {} submissions after {} "
               "warm-up\ntotal = GPU time of a submission timed only at its ends / calls; stages: pass-by-pass timestamps; floor = max(FLOPs/FMA rate, bytes/bandwidth)\n",
               Hq, Hkv, D, a->batch, a->repeats, a->warmup);
    fmt::print("FLOPs (causal) = 4*Hq*D*sum_s(input_pos+s+1); bytes = q + out + K,V context + cache update\n\n");

    std::vector<Algorithm> algos;
    for (const auto& n : a->algorithms) algos.push_back(algorithm_from_string(n));
    if (algos.empty()) algos = all_algorithms();

    struct Point {
      std::string mode;
      uint32_t C, S, pos;
    };
    std::vector<Point> points;
    for (auto C : a->prefill)
      if (C) points.push_back({"prefill", C, C, 0});
    for (auto C : a->decode)
      if (C) points.push_back({"decode", C, 1, C - 1});

    std::vector<Row> rows;
    Sdpa sdpa(ctx);
    const size_t total = points.size() * algos.size() * a->dtypes.size();
    size_t done = 0;
    fmt::print("{:<8} {:>6} {:<21} {:<4} {:>10} {:>10} {:>7}  {}\n", "mode", "C", "algorithm", "kv", "total us",
               "floor us", "%floor", "stages (us)");
    for (const auto& pt : points)
      for (const auto& dt : a->dtypes) {
        const DType dtype = dt == "f16" ? DType::F16 : DType::F32;
        std::unique_ptr<BenchInputs> made;
        try {
          made = std::make_unique<BenchInputs>(ctx, pt.C, pt.S, Hq, Hkv, D, dtype);
        } catch (const UnsupportedError& e) {  // e.g. a cache this device cannot hold: say so, go on
          done += algos.size();
          fmt::print(stderr, "\r");
          fmt::print("{:<8} {:>6} {:<21} {:<4} not run: {}\n", pt.mode, pt.C, "-", dt, e.what());
          continue;
        }
        BenchInputs& pb = *made;
        const verify::Case vc{pt.S, Hq, Hkv, D, pt.pos, pt.C};
        for (Algorithm algo : algos) {
          ++done;
          fmt::print(stderr, "\r[{}/{}] {} C={} {} {}   ", done, total, pt.mode, pt.C, to_string(algo), dt);
          if (!verify::supported(ctx, vc, algo)) continue;
          SdpaOptions opt;
          opt.algorithm = algo;
          opt.split_kv_workgroups = a->split_workgroups;
          opt.flash_threads_x = a->flash_threads_x;
          const Timing tm = time_calls(sdpa, pb, opt, a->warmup, a->repeats, a->batch, true);
          const auto& order = tm.stage_order;
          const auto cost = attention::sdpa_cost(pt.S, pt.pos, Hq, Hkv, D, dtype == DType::F16 ? 2 : 4);
          Row r{pt.mode, to_string(algo), dt, pt.C, pt.S, pt.pos, tm.stage_ms, order, tm.per_call_ms, 0, cost.flops,
                cost.bytes};
          r.floor_ms = std::max(cost.flops / (probe.fma_gflops * 1e9), cost.bytes / (probe.copy_gbps * 1e9)) * 1e3;
          std::string stages;
          for (const auto& n : order) stages += fmt::format("{}={:.1f} ", n, r.stage_ms[n] * 1e3);
          fmt::print(stderr, "\r");
          fmt::print("{:<8} {:>6} {:<21} {:<4} {:>10.1f} {:>10.1f} {:>6.1f}%  {}\n", r.mode, r.context, r.algorithm,
                     r.dtype, r.total_ms * 1e3, r.floor_ms * 1e3, 100 * r.floor_ms / r.total_ms, stages);
          rows.push_back(r);
        }
      }
    fmt::print(stderr, "\r");
    // The published experiment: the AV stage, strided vs coalesced, same run.
    bool header = false;
    for (const auto& s : rows) {
      if (s.algorithm != "three-pass-strided") continue;
      for (const auto& c : rows)
        if (c.algorithm == "three-pass-coalesced" && c.mode == s.mode && c.context == s.context && c.dtype == s.dtype) {
          if (!header) fmt::print("\nAV stage, strided -> coalesced (same run):\n");
          header = true;
          const double st = s.stage_ms.at("av_strided"), co = c.stage_ms.at("av_coalesced");
          fmt::print("  {:<8} C={:<6} {:<4} strided {:9.1f} us -> coalesced {:9.1f} us  ({:+.1f}%, ratio {:.2f}x)\n",
                     s.mode, s.context, s.dtype, st * 1e3, co * 1e3, 100 * (co - st) / st, st / co);
        }
    }
    if (!a->csv.empty()) {
      std::ofstream c(a->csv);
      c << "device,mode,context,S,input_pos,algorithm,cache_dtype,per_call_us,floor_us,pct_of_floor,flops,bytes\n";
      for (const auto& r : rows)
        c << '"' << ad.device << "\"," << r.mode << ',' << r.context << ',' << r.S << ',' << r.input_pos << ','
          << r.algorithm << ',' << r.dtype << ',' << r.total_ms * 1e3 << ',' << r.floor_ms * 1e3 << ','
          << 100 * r.floor_ms / r.total_ms << ',' << r.flops << ',' << r.bytes << "\n";
    }
    if (!a->json.empty()) {
      nlohmann::json j;
      j["device"] = ad.device;
      j["backend"] = ad.backend;
      j["adapter_type"] = ad.adapter_type;
      j["probe"] = {{"copy_gbps", probe.copy_gbps}, {"fma_gflops", probe.fma_gflops}};
      j["shape"] = {{"q_heads", Hq}, {"kv_heads", Hkv}, {"head_dim", D}};
      j["repeats"] = a->repeats;
      j["batch"] = a->batch;
      j["results"] = nlohmann::json::array();
      for (const auto& r : rows)
        j["results"].push_back({{"mode", r.mode},
                                {"context", r.context},
                                {"S", r.S},
                                {"input_pos", r.input_pos},
                                {"algorithm", r.algorithm},
                                {"dtype", r.dtype},
                                {"total_ms", r.total_ms},
                                {"floor_ms", r.floor_ms},
                                {"flops", r.flops},
                                {"bytes", r.bytes},
                                {"stages_ms", r.stage_ms}});
      std::ofstream(a->json) << j.dump(1) << "\n";
    }
    return 0;
  };
}

}  // namespace webattn::cli
