// `webattn tune`: measures the fused kernels' tunables on this device and saves the
// winners for this adapter to the tuning file Sdpa reads.
#include <fmt/core.h>

#include <cmath>

#include "commands.hpp"
#include "measure.hpp"
#include "presets.hpp"
#include "webattn/errors.hpp"

namespace webattn::cli {

namespace {

struct TuneArgs {
  DeviceArgs device;
  std::string preset = "llama3-8b";
  std::string file;
  std::vector<uint32_t> decode = {4096, 16384};
  std::vector<uint32_t> prefill = {512};
  std::vector<uint32_t> split_candidates = {256, 512, 1024, 2048, 4096};
  std::vector<uint32_t> tile_candidates = {16, 32, 48, 64};
  int repeats = 10;
  bool dry_run = false;
};

// Geometric mean of per-call times over the sizes: no single size dominates the choice.
template <class Make>
double score(const std::vector<uint32_t>& sizes, Make&& run_one) {
  double log_sum = 0;
  for (auto c : sizes) log_sum += std::log(run_one(c));
  return std::exp(log_sum / static_cast<double>(sizes.size()));
}

}  // namespace

Runner add_tune(CLI::App& app) {
  auto a = std::make_shared<TuneArgs>();
  a->device.add(app);
  app.add_option("--preset", a->preset, "model shape to tune for");
  app.add_option("--file", a->file, "tuning file (default: $WEBATTN_TUNING_FILE or ~/.cache/webattn/tuning.json)");
  app.add_option("--decode", a->decode, "decode context lengths to tune split-kv on")->delimiter(',');
  app.add_option("--prefill", a->prefill, "prefill lengths to tune flash-prefill on")->delimiter(',');
  app.add_option("--split-workgroups", a->split_candidates, "split-kv target workgroup candidates")->delimiter(',');
  app.add_option("--keys-per-tile", a->tile_candidates, "flash-prefill keys-per-tile candidates")->delimiter(',');
  app.add_option("--repeats", a->repeats, "timed submissions per candidate")->check(CLI::PositiveNumber);
  app.add_flag("--dry-run", a->dry_run, "measure and print, but do not write the file");
  return [a] {
    const Preset& pre = find_preset(a->preset);
    Context ctx(a->device.options());
    if (!ctx.has_timestamps()) throw UnsupportedError("this device has no timestamp-query feature: cannot tune");
    const std::string path = a->file.empty() ? tuning_path() : a->file;
    fmt::print("device: {} ({}); tuning key '{}'\n", ctx.adapter().device, ctx.adapter().backend,
               tuning_key(ctx.adapter()));
    Sdpa sdpa(ctx);
    Tuning best = sdpa.tuning();

    std::map<uint32_t, BenchInputs*> decode_inputs;
    std::vector<std::unique_ptr<BenchInputs>> keep;
    for (auto c : a->decode) {
      keep.push_back(std::make_unique<BenchInputs>(ctx, c, 1, pre.q_heads, pre.kv_heads, pre.head_dim, DType::F32));
      decode_inputs[c] = keep.back().get();
    }
    double best_score = 1e30;
    for (auto wgs : a->split_candidates) {
      SdpaOptions opt;
      opt.algorithm = Algorithm::SplitKvDecode;
      opt.split_kv_workgroups = wgs;
      const double s = score(a->decode, [&](uint32_t c) {
        return time_calls(sdpa, *decode_inputs[c], opt, 2, a->repeats, 10, false).per_call_ms;
      });
      fmt::print("split-kv workgroups {:>5}: {:8.1f} us (geometric mean over decode C)\n", wgs, s * 1e3);
      if (s < best_score) best_score = s, best.split_kv_workgroups = wgs;
    }

    std::map<uint32_t, BenchInputs*> prefill_inputs;
    for (auto c : a->prefill) {
      keep.push_back(std::make_unique<BenchInputs>(ctx, c, c, pre.q_heads, pre.kv_heads, pre.head_dim, DType::F32));
      prefill_inputs[c] = keep.back().get();
    }
    best_score = 1e30;
    for (auto bc : a->tile_candidates) {
      SdpaOptions opt;
      opt.algorithm = Algorithm::FlashPrefill;
      opt.flash_keys_per_tile = bc;
      const double s = score(a->prefill, [&](uint32_t c) {
        return time_calls(sdpa, *prefill_inputs[c], opt, 2, a->repeats, 4, false).per_call_ms;
      });
      fmt::print("flash-prefill keys/tile {:>3}: {:8.1f} us (geometric mean over prefill C; falls back to what fits)\n",
                 bc, s * 1e3);
      if (s < best_score) best_score = s, best.flash_keys_per_tile = bc;
    }
    // f16 caches: native WGSL f16 reads against unpacked u32 words, where the device can.
    if (ctx.has_shader_f16()) {
      double t_packed = 0, t_native = 0;
      for (bool native : {false, true}) {
        Tuning t = best;
        t.native_f16 = native;
        sdpa.set_tuning(t);
        SdpaOptions opt;
        opt.algorithm = Algorithm::SplitKvDecode;
        std::vector<std::unique_ptr<BenchInputs>> f16_inputs;
        const double s = score(a->decode, [&](uint32_t c) {
          f16_inputs.push_back(
              std::make_unique<BenchInputs>(ctx, c, 1, pre.q_heads, pre.kv_heads, pre.head_dim, DType::F16));
          return time_calls(sdpa, *f16_inputs.back(), opt, 2, a->repeats, 10, false).per_call_ms;
        });
        (native ? t_native : t_packed) = s;
        fmt::print("f16 cache, {:<14}: {:8.1f} us (split-kv, geometric mean over decode C)\n",
                   native ? "native f16" : "packed u32", s * 1e3);
      }
      best.native_f16 = t_native < t_packed;
    } else {
      fmt::print("f16 cache: device has no shader-f16, packed u32 storage it is\n");
      best.native_f16 = false;
    }
    fmt::print("best: split_kv_workgroups {}, flash_keys_per_tile {}, native_f16 {}\n", best.split_kv_workgroups,
               best.flash_keys_per_tile, best.native_f16);
    if (!a->dry_run) {
      save_tuning(path, ctx.adapter(), best);
      fmt::print("saved to {}\n", path);
    }
    return 0;
  };
}

}  // namespace webattn::cli
