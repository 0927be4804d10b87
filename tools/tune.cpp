// `webattn tune`: measures the fused kernels' tunables on this device and saves the
// winners for this adapter to the tuning file Sdpa reads.
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

#include "attention/cost.hpp"
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
  // 0: split-kv's target by the form of its first pass (512 subgroup form, 1024 tile form).
  std::vector<uint32_t> split_candidates = {0, 256, 512, 1024, 2048, 4096};
  std::vector<uint32_t> tile_candidates = {16, 32, 48, 64};
  // Prompt lengths where flash-prefill's shape rule takes 128-row tiles, to time it against
  // 64-row tiles (the rule was measured on the H200 only).
  std::vector<uint32_t> wide_prefill = {2048};
  // Prompt lengths where the workgroup-size rule takes 128-thread workgroups (short prompts), to
  // time it against 256 threads always.
  std::vector<uint32_t> short_prefill = {128};
  // flash-prefill-tiled tiles "ROWSxKEYSxDCHUNK" to time (none by default: 18 shapes would
  // take minutes of compiles on a CPU adapter).
  std::vector<std::string> tiled_candidates;
  int repeats = 10;
  bool dry_run = false;
  bool reprobe = false;
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
  app.add_option("--preset", a->preset, "model shape to tune for")->check(CLI::IsMember(preset_names()));
  app.add_option("--file", a->file, "tuning file (default: $WEBATTN_TUNING_FILE or ~/.cache/webattn/tuning.json)");
  app.add_option("--decode", a->decode, "decode context lengths to tune split-kv on")
      ->delimiter(',')
      ->check(at_least(1));
  app.add_option("--prefill", a->prefill, "prefill lengths to tune flash-prefill on")
      ->delimiter(',')
      ->check(at_least(1));
  app.add_option("--split-workgroups", a->split_candidates,
                 "split-kv target workgroup candidates; 0 = by the form of its first pass (512 subgroup form, 1024 "
                 "tile form), kept unless a fixed count is 2% faster: a fixed count then applies to both forms")
      ->delimiter(',')
      ->check(at_least(0));
  app.add_option("--keys-per-tile", a->tile_candidates, "flash-prefill keys-per-tile candidates")
      ->delimiter(',')
      ->check(CLI::IsMember({16, 32, 48, 64}));
  app.add_option("--wide-prefill", a->wide_prefill,
                 "prefill lengths to time flash-prefill's tile rule (128-row tiles for long prompts) against 64-row "
                 "tiles on (lengths where the rule takes 128-row tiles: at others both timings run one configuration "
                 "and differ by noise); a lone 0 skips it and keeps the file's value")
      ->delimiter(',')
      ->check(at_least(0));
  app.add_option("--short-prefill", a->short_prefill,
                 "prefill lengths to time flash-prefill's workgroup-size rule (128 threads for short prompts) against "
                 "256 threads on (lengths where the rule takes 128 threads); a lone 0 skips it and keeps the file's "
                 "value")
      ->delimiter(',')
      ->check(at_least(0));
  app.add_option("--tiled-tiles", a->tiled_candidates,
                 "flash-prefill-tiled tiles to time, ROWSxKEYSxDCHUNK (rows 64/128, keys 32/64/128, head-dim chunk "
                 "4/8/16), e.g. 128x64x16,64x64x8 (default: none, the tiled kernel is not tuned)")
      ->delimiter(',');
  app.add_option("--repeats", a->repeats, "timed submissions per candidate")->check(at_least(1, 1000000));
  app.add_flag("--dry-run", a->dry_run, "measure and print, but do not write the file");
  app.add_flag("--reprobe", a->reprobe, "measure the device ceilings again (and save them) instead of the saved ones");
  return [a] {
    const Preset& pre = find_preset(a->preset);
    for (const auto* list : {&a->decode, &a->prefill, &a->split_candidates, &a->tile_candidates})
      if (list->empty()) throw BadArgument("an empty list: --decode, --prefill, --split-workgroups and "
                                           "--keys-per-tile each need at least one value");
    for (const auto& [list, name] : {std::pair{&a->wide_prefill, "--wide-prefill"}, {&a->short_prefill, "--short-prefill"}})
      if (list->size() > 1 && std::count(list->begin(), list->end(), 0u))
        throw BadArgument(std::string(name) + ": 0 (skip this timing) stands alone, got it among other lengths");
    const std::string path = a->file.empty() ? tuning_path() : a->file;
    if (!a->dry_run) check_writable(path, a->file.empty() ? "tuning file" : "--file", true);
    Context ctx = a->device.open();
    if (!ctx.has_timestamps()) throw UnsupportedError("this device has no timestamp-query feature: cannot tune");
    fmt::print("device: {} ({}); tuning key '{}'\n", ctx.adapter().device, ctx.adapter().backend,
               tuning_key(ctx.adapter()));
    Sdpa sdpa(ctx);
    // Every shape tuned on must run here: checked with the device's limits before any kernel.
    const auto must_run = [&](uint32_t C, uint32_t S, DType dtype, Algorithm algo, const char* option) {
      SdpaOptions opt;
      opt.algorithm = algo;
      try {
        sdpa.validate(S, pre.q_heads, C - S, {C, pre.kv_heads, pre.head_dim, dtype}, opt);
      } catch (const UnsupportedError& e) {
        throw UnsupportedError(std::string(option) + " " + std::to_string(C) + " (" + to_string(algo) + ", " +
                               to_string(dtype) + " cache) cannot run on this device: " + e.what());
      }
    };
    for (auto c : a->decode) {
      must_run(c, 1, DType::F32, Algorithm::SplitKvDecode, "--decode");
      if (ctx.has_shader_f16()) must_run(c, 1, DType::F16, Algorithm::SplitKvDecode, "--decode");
    }
    for (auto c : a->prefill) must_run(c, c, DType::F32, Algorithm::FlashPrefill, "--prefill");
    for (const auto& [list, name] : {std::pair{&a->wide_prefill, "--wide-prefill"}, {&a->short_prefill, "--short-prefill"}})
      if (!(list->size() == 1 && (*list)[0] == 0))
        for (auto c : *list) must_run(c, c, DType::F32, Algorithm::FlashPrefill, name);
    std::vector<std::array<uint32_t, 3>> tiled;
    for (const auto& t : a->tiled_candidates) {
      std::array<uint32_t, 3> v{};
      char x1 = 0, x2 = 0, rest = 0;
      SdpaOptions probe_opt;
      if (std::sscanf(t.c_str(), "%u%c%u%c%u%c", &v[0], &x1, &v[1], &x2, &v[2], &rest) != 5 || x1 != 'x' || x2 != 'x')
        throw BadArgument("--tiled-tiles: '" + t + "' is not ROWSxKEYSxDCHUNK (e.g. 128x64x16)");
      probe_opt.tiled_rows = v[0], probe_opt.tiled_keys = v[1], probe_opt.tiled_dchunk = v[2];
      try {
        sdpa.validate(1, pre.q_heads, 0, {1, pre.kv_heads, pre.head_dim, DType::F32}, probe_opt);
      } catch (const ShapeError& e) {
        throw BadArgument("--tiled-tiles: '" + t + "': " + e.what());
      }
      tiled.push_back(v);
    }
    const ProbeResult ceil = ceilings_for(ctx, a->reprobe);
    // The floor of a geometric mean of times: the geometric mean of the floors.
    const auto floor_note = [&](const std::vector<uint32_t>& sizes, bool prefill, uint32_t elem_bytes, double ms) {
      std::string by;
      const double fl = score(sizes, [&](uint32_t c) {
        const auto cost = attention::sdpa_cost(prefill ? c : 1, prefill ? 0 : c - 1, pre.q_heads, pre.kv_heads,
                                               pre.head_dim, elem_bytes);
        const Floor f = floor_of(ceil, cost.flops, cost.bytes);
        by = f.ceiling;
        return f.ms;
      });
      return fmt::format("{:5.1f}% of floor ({})", 100 * fl / ms, by == "fma" ? "FMA ceiling" : "read-only bandwidth");
    };
    // What is not measured (a lone 0 skips a timing) keeps the value the tuning file has.
    Tuning best = load_tuning(path, ctx.adapter());

    std::map<uint32_t, BenchInputs*> decode_inputs;
    std::vector<std::unique_ptr<BenchInputs>> keep;
    for (auto c : a->decode) {
      keep.push_back(std::make_unique<BenchInputs>(ctx, c, 1, pre.q_heads, pre.kv_heads, pre.head_dim, DType::F32));
      decode_inputs[c] = keep.back().get();
    }
    // A clock warm-up (WarmupClock) before the first candidate timed after inputs were filled.
    double warm = default_warmup_ms(ctx.adapter());
    double best_score = 1e30, by_form = 0;
    uint32_t best_fixed = 0;
    Sdpa by_form_sdpa(ctx);  // the options' 0 means "the Sdpa's tuning": one whose count is by form
    {
      Tuning t = sdpa.tuning();
      t.split_kv_workgroups = 0;
      by_form_sdpa.set_tuning(t);
    }
    for (auto wgs : a->split_candidates) {
      SdpaOptions opt;
      opt.algorithm = Algorithm::SplitKvDecode;
      opt.split_kv_workgroups = wgs;
      const double s = score(a->decode, [&](uint32_t c) {
        return time_calls(wgs ? sdpa : by_form_sdpa, *decode_inputs[c], opt, 2, a->repeats, 10, false,
                          std::exchange(warm, 0.0))
            .per_call_ms;
      });
      fmt::print("split-kv workgroups {:>7}: {:8.1f} us (geometric mean over decode C), {}\n",
                 wgs ? std::to_string(wgs) : std::string("by form"), s * 1e3, floor_note(a->decode, false, 4, s));
      if (wgs == 0) by_form = s;
      else if (s < best_score) best_score = s, best_fixed = wgs;
    }
    // By form unless a fixed count wins by 2% (it would then also set the other form's count).
    const bool timed_by_form = std::count(a->split_candidates.begin(), a->split_candidates.end(), 0u) > 0;
    best.split_kv_workgroups = !timed_by_form ? best_fixed : best_fixed && best_score < by_form / 1.02 ? best_fixed : 0;

    std::map<uint32_t, BenchInputs*> prefill_inputs;
    for (auto c : a->prefill) {
      keep.push_back(std::make_unique<BenchInputs>(ctx, c, c, pre.q_heads, pre.kv_heads, pre.head_dim, DType::F32));
      prefill_inputs[c] = keep.back().get();
    }
    warm = default_warmup_ms(ctx.adapter());
    best_score = 1e30;
    for (auto bc : a->tile_candidates) {
      SdpaOptions opt;
      opt.algorithm = Algorithm::FlashPrefill;
      opt.flash_keys_per_tile = bc;
      const double s = score(a->prefill, [&](uint32_t c) {
        return time_calls(sdpa, *prefill_inputs[c], opt, 2, a->repeats, 4, false, std::exchange(warm, 0.0)).per_call_ms;
      });
      fmt::print("flash-prefill keys/tile {:>3}: {:8.1f} us (geometric mean over prefill C; falls back to what fits), "
                 "{}\n", bc, s * 1e3, floor_note(a->prefill, true, 4, s));
      if (s < best_score) best_score = s, best.flash_keys_per_tile = bc;
    }
    best_score = 1e30;
    for (const auto& [rows, keys, dchunk] : tiled) {
      SdpaOptions opt;
      opt.algorithm = Algorithm::FlashPrefillTiled;
      opt.tiled_rows = rows, opt.tiled_keys = keys, opt.tiled_dchunk = dchunk;
      const double s = score(a->prefill, [&](uint32_t c) {
        return time_calls(sdpa, *prefill_inputs[c], opt, 2, a->repeats, 4, false, std::exchange(warm, 0.0)).per_call_ms;
      });
      fmt::print("flash-prefill-tiled {:>3}x{:>3}x{:>2}: {:8.1f} us (geometric mean over prefill C; falls back to "
                 "what fits), {}\n", rows, keys, dchunk, s * 1e3, floor_note(a->prefill, true, 4, s));
      if (s < best_score) best_score = s, best.tiled_rows = rows, best.tiled_keys = keys, best.tiled_dchunk = dchunk;
    }
    // flash-prefill's shape rules, each against its fixed alternative (ties keep the rule): tile
    // rows (Tuning::flash_threads_x 0: 128-row tiles where they give enough workgroups) against
    // 64-row tiles always (16), at --wide-prefill; workgroup size (flash_workgroup_threads 0: 128
    // threads for short prompts) against 256 always, at --short-prefill. The fixed choice must win
    // by 2%: where the rule picks it anyway the two are one configuration and only noise differs.
    const auto rule_or_fixed = [&](const std::vector<uint32_t>& sizes, const char* what, const char* rule,
                                   const char* fixed_name, auto set) {
      if (sizes.size() == 1 && sizes[0] == 0) return;
      double t_rule = 0, t_fixed = 0;
      std::vector<std::unique_ptr<BenchInputs>> inputs;
      for (auto c : sizes)
        inputs.push_back(std::make_unique<BenchInputs>(ctx, c, c, pre.q_heads, pre.kv_heads, pre.head_dim, DType::F32));
      warm = default_warmup_ms(ctx.adapter());
      for (bool fixed : {false, true}) {
        Tuning t = best;
        set(t, fixed);
        sdpa.set_tuning(t);
        SdpaOptions opt;
        opt.algorithm = Algorithm::FlashPrefill;
        size_t i = 0;
        const double s = score(sizes, [&](uint32_t) {
          return time_calls(sdpa, *inputs[i++], opt, 2, a->repeats, 2, false, std::exchange(warm, 0.0)).per_call_ms;
        });
        (fixed ? t_fixed : t_rule) = s;
        fmt::print("flash-prefill {}, {:<22}: {:8.1f} us (geometric mean over its prefill C), {}\n", what,
                   fixed ? fixed_name : rule, s * 1e3, floor_note(sizes, true, 4, s));
      }
      set(best, t_fixed < 0.98 * t_rule);
      sdpa.set_tuning(best);
    };
    rule_or_fixed(a->wide_prefill, "tile rows", "by shape (128 if long)", "64 always",
                  [](Tuning& t, bool fixed) { t.flash_threads_x = fixed ? 16 : 0; });
    rule_or_fixed(a->short_prefill, "workgroup threads", "by shape (128 if short)", "256 always",
                  [](Tuning& t, bool fixed) { t.flash_workgroup_threads = fixed ? 256 : 0; });
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
          return time_calls(sdpa, *f16_inputs.back(), opt, 2, a->repeats, 10, false, default_warmup_ms(ctx.adapter()))
              .per_call_ms;
        });
        (native ? t_native : t_packed) = s;
        fmt::print("f16 cache, {:<14}: {:8.1f} us (split-kv, geometric mean over decode C), {}\n",
                   native ? "native f16" : "packed u32", s * 1e3, floor_note(a->decode, false, 2, s));
      }
      best.native_f16 = t_native < t_packed;
    } else {
      fmt::print("f16 cache: device has no shader-f16, packed u32 storage it is\n");
      best.native_f16 = false;
    }
    fmt::print("best: split_kv_workgroups {}, flash_keys_per_tile {}, flash_threads_x {} ({}), "
               "flash_workgroup_threads {} ({}), tiled {}x{}x{}, native_f16 {}\n",
               best.split_kv_workgroups ? std::to_string(best.split_kv_workgroups) : std::string("0 (by form)"),
               best.flash_keys_per_tile, best.flash_threads_x,
               best.flash_threads_x == 0 ? "by shape" : best.flash_threads_x == 8 ? "128-row tiles" : "64-row tiles",
               best.flash_workgroup_threads,
               best.flash_workgroup_threads == 0 ? "by shape" : fmt::format("{} always", best.flash_workgroup_threads),
               best.tiled_rows, best.tiled_keys,
               best.tiled_dchunk, best.native_f16);
    if (!a->dry_run) {
      save_tuning(path, ctx.adapter(), best);
      fmt::print("saved to {}\n", path);
    }
    return kExitOk;
  };
}

}  // namespace webattn::cli
