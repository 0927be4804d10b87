// `webattn bench`: per-stage GPU time of prefill and decode for every algorithm, with
// the AV strided/coalesced ratio and % of the device floor (FLOPs / FMA ceiling or
// bytes / read-only bandwidth ceiling, whichever is larger; ceilings from `webattn probe`).
// --layers: the model step (every layer's decode attention for one token, one plan and
// cache per layer). --churn-mib: every point also measured after GPU memory was
// allocated and freed, to show whether allocation history slows it (the warm-up keeps the GPU
// busy so its clock governor does not lower the clock mid-measurement: measure.hpp).
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "attention/cost.hpp"
#include "commands.hpp"
#include "measure.hpp"
#include "presets.hpp"
#include "webattn/attention.hpp"
#include "webattn/errors.hpp"
#include "webattn/probe.hpp"

namespace webattn::cli {

namespace {

struct BenchArgs {
  DeviceArgs device;
  std::string preset = "llama3-8b";
  std::optional<uint32_t> heads, kv_heads, head_dim;
  std::vector<std::string> prefill = {"64", "128"};  // "S" (input_pos 0) or "S@input_pos"
  std::vector<uint32_t> decode = {256, 512};
  std::vector<std::string> algorithms;
  std::vector<std::string> dtypes = {"f32"};
  int repeats = 20, warmup = 3;
  double warmup_ms = -1;  // -1: default_warmup_ms(adapter)
  int batch = 10;  // calls recorded back to back per timed submission
  uint32_t split_workgroups = 0;
  uint32_t window = 0;  // variants, for their cost against plain attention (runs without them)
  float softcap = 0;
  bool sinks = false;
  std::string act = "f32";  // activation dtype; f16 is also timed against f32 activations
  bool alibi = false;
  std::string mask;  // "", "additive" or "bool": an explicit mask on every call (all keys visible)
  uint32_t flash_threads_x = 0, flash_keys_per_tile = 0, flash_workgroup_threads = 0;
  uint32_t tiled_rows = 0, tiled_keys = 0, tiled_dchunk = 0;
  std::string json, csv, timeline;
  bool reprobe = false;
  bool idle_warmup = false;  // warm-up without untimed calls queued (the form before session 8)
  std::string layers;       // "" (per call), a count, or "model" (the preset's)
  uint32_t churn_mib = 0;   // 0: no churn measurement
  bool churn_once = false;  // churn once before everything; only after-churn figures
  uint32_t placement = 0;   // --placement N: N caches per decode point timed in rotation
  uint32_t rounds = 4;      // --rounds: rotations of --placement
};

// --mask: a mask over a point's context that hides nothing (the cost of reading it, not
// of fewer keys): fp32 zeros [S, C] or all-ones bits [S, ceil(C / 32)].
std::optional<Tensor> bench_mask(Context& ctx, const BenchArgs& a, uint32_t S, uint32_t C) {
  if (a.mask.empty()) return std::nullopt;
  if (a.mask == "bool")
    return Tensor::from(ctx, {S, (C + 31) / 32}, pack_bool_mask(std::vector<uint8_t>(size_t{S} * C, 1), S, C), "mask");
  return Tensor::from(ctx, {S, C}, std::vector<float>(size_t{S} * C, 0.f), "mask");
}

// The options of every timed call: the algorithm, tunables and the variants asked for
// (mask: the point's bench_mask, or null).
SdpaOptions call_options(const BenchArgs& a, Algorithm algo, uint32_t q_heads, Tensor* mask = nullptr) {
  SdpaOptions opt;
  opt.algorithm = algo;
  opt.split_kv_workgroups = a.split_workgroups;
  opt.flash_threads_x = a.flash_threads_x;
  opt.flash_keys_per_tile = a.flash_keys_per_tile;
  opt.flash_workgroup_threads = a.flash_workgroup_threads;
  opt.tiled_rows = a.tiled_rows;
  opt.tiled_keys = a.tiled_keys;
  opt.tiled_dchunk = a.tiled_dchunk;
  opt.window_left = a.window;
  opt.softcap = a.softcap;
  if (a.sinks) opt.sinks.assign(q_heads, 0.f);
  opt.alibi = a.alibi;
  opt.mask = mask;
  opt.mask_kind = a.mask == "bool" ? MaskKind::Bool : MaskKind::Additive;
  return opt;
}

struct Row {
  std::string mode, algorithm, dtype;
  uint32_t context, S, input_pos;
  std::map<std::string, double> stage_ms;
  std::vector<std::string> stage_order;
  double total_ms, flops, bytes;  // mode "step": per token, all layers
  Floor floor;
  uint32_t layers = 1;
  std::optional<double> churned_ms;  // --churn-mib (per point): the same after churn
  std::string act = "f32";                // activation dtype
  std::optional<double> f32_act_ms;       // --act f16 (per call): the same call with f32 activations
};

// One requested (mode, context, dtype) and the algorithms that will run on it; `refused`
// says why nothing (or not every explicitly requested algorithm) can.
struct Point {
  std::string mode;
  uint32_t C, S, pos;
  std::string dtype;
  std::vector<Algorithm> run;
  std::vector<std::string> refused;  // "<algorithm>: <reason>" or "<reason>"
};

// --layers: a count of at least 1, or "model" for the preset's layer count.
uint32_t parse_layers(const std::string& text, const Preset& preset) {
  if (text == "model") return preset.layers;
  if (!at_least(1, 100000)(std::string(text)).empty())
    throw BadArgument("--layers: must be a whole number from 1 to 100000 or 'model' (" + preset.name + ": " +
                      std::to_string(preset.layers) + "), got '" + text + "'");
  return static_cast<uint32_t>(std::stoul(text));
}

// One cache (K or V) of C positions: f32, or IEEE halves (D is a multiple of 4, so no padding).
uint64_t cache_bytes(uint32_t C, uint32_t Hkv, uint32_t D, const std::string& dtype) {
  return uint64_t{C} * Hkv * D * (dtype == "f16" ? 2 : 4);
}

std::string size_text(double bytes) {
  return bytes < (1 << 20) ? fmt::format("{:.1f} KiB", bytes / 1024) : fmt::format("{:.1f} MiB", bytes / (1 << 20));
}

// A context list: a lone 0 skips the mode; otherwise every length must be positive.
std::vector<uint32_t> lengths(const std::vector<uint32_t>& list, const std::string& option) {
  if (list.empty() || (list.size() == 1 && list[0] == 0)) return {};
  for (auto c : list)
    if (c == 0)
      throw BadArgument(option + ": context length 0 among other lengths; a lone `" + option +
                        " 0` skips that mode, lengths must be at least 1");
  return list;
}

// --prefill entries: "S" (a prompt of S tokens at input_pos 0, C = S) or "S@P" (a chunk
// of S tokens at input_pos P, C = P + S); a lone "0" skips prefill. Pairs (S, input_pos).
std::vector<std::pair<uint32_t, uint32_t>> prefill_points(const std::vector<std::string>& list) {
  if (list.empty() || (list.size() == 1 && list[0] == "0")) return {};
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (const auto& item : list) {
    const size_t at = item.find('@');
    const auto number = [&](const std::string& text, const char* what) {
      if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 10 ||
          std::stoull(text) > 0xffffffffull)
        throw BadArgument("--prefill: '" + item + "' is not S or S@input_pos (" + what + " '" + text +
                          "' is not a whole number below 2^32)");
      return static_cast<uint32_t>(std::stoul(text));
    };
    const uint32_t S = number(item.substr(0, at), "S");
    const uint32_t pos = at == std::string::npos ? 0 : number(item.substr(at + 1), "input_pos");
    if (S == 0)
      throw BadArgument("--prefill: context length 0 among other lengths ('" + item +
                        "'); a lone `--prefill 0` skips that mode, S must be at least 1");
    if (uint64_t{S} + pos > 0xffffffffull)
      throw BadArgument("--prefill: '" + item + "': input_pos + S exceeds 2^32 - 1");
    out.emplace_back(S, pos);
  }
  return out;
}

// One line for all of a point's reasons (already deduplicated: a cache too big for any
// algorithm is said once).
std::string join_reasons(const std::vector<std::string>& reasons) {
  std::string all;
  for (const auto& r : reasons) all += (all.empty() ? "" : "; ") + r;
  return all;
}

std::string csv_text(const AdapterSummary& ad, const std::vector<Row>& rows) {
  std::ostringstream c;
  // per_call_us: per token over all layers for mode "step"; churned_us: empty without --churn-mib.
  c << "device,mode,context,S,input_pos,algorithm,cache_dtype,layers,per_call_us,floor_us,pct_of_floor,floor_ceiling,"
       "flops,bytes,churned_us,churned_ratio,act_dtype,f32_act_us\n";
  for (const auto& r : rows) {
    c << '"' << ad.device << "\"," << r.mode << ',' << r.context << ',' << r.S << ',' << r.input_pos << ','
      << r.algorithm << ',' << r.dtype << ',' << r.layers << ',' << r.total_ms * 1e3 << ',' << r.floor.ms * 1e3 << ','
      << 100 * r.floor.ms / r.total_ms << ',' << r.floor.ceiling << ',' << r.flops << ',' << r.bytes << ',';
    if (r.churned_ms) c << *r.churned_ms * 1e3 << ',' << *r.churned_ms / r.total_ms;
    else c << ',';
    c << ',' << r.act << ',';
    if (r.f32_act_ms) c << *r.f32_act_ms * 1e3;
    c << "\n";
  }
  return c.str();
}

// The device, the ceilings used, every result and every point not run (bench/plot.py reads it).
nlohmann::json results_json(const AdapterSummary& ad, const ProbeResult& ceil, const std::vector<Row>& rows,
                            const std::vector<Point>& points) {
  nlohmann::json j;
  j["device"] = ad.device;
  j["backend"] = ad.backend;
  j["adapter_type"] = ad.adapter_type;
  j["probe"] = {{"copy_gbps", ceil.copy_gbps},       {"read_gbps", ceil.read_gbps},
                {"fma_gflops", ceil.fma_gflops},     {"copy_form", ceil.copy.describe()},
                {"read_form", ceil.read.describe()}, {"fma_form", ceil.fma.describe()},
                {"measured_at", ceil.measured_at}};
  j["floor"] = "max(flops / fma_gflops, bytes / read_gbps)";
  j["results"] = nlohmann::json::array();
  for (const auto& r : rows) {
    j["results"].push_back({{"mode", r.mode},
                            {"context", r.context},
                            {"S", r.S},
                            {"input_pos", r.input_pos},
                            {"algorithm", r.algorithm},
                            {"dtype", r.dtype},
                            {"total_ms", r.total_ms},
                            {"floor_ms", r.floor.ms},
                            {"floor_ceiling", r.floor.ceiling},
                            {"flops", r.flops},
                            {"bytes", r.bytes},
                            {"stages_ms", r.stage_ms},
                            {"layers", r.layers}});
    j["results"].back()["act_dtype"] = r.act;
    if (r.f32_act_ms) j["results"].back()["f32_act_ms"] = *r.f32_act_ms;
    if (r.churned_ms) {
      j["results"].back()["churned_ms"] = *r.churned_ms;
      j["results"].back()["churned_ratio"] = *r.churned_ms / r.total_ms;
    }
  }
  j["not_run"] = nlohmann::json::array();
  for (const auto& pt : points)
    for (const auto& why : pt.refused)
      j["not_run"].push_back({{"mode", pt.mode}, {"context", pt.C}, {"dtype", pt.dtype}, {"reason", why}});
  return j;
}

// --placement: the allocation-history diagnostic (issue #11 item 2). For each decode point
// and algorithm: N copies of the inputs, each with its own K/V buffers, all alive at once
// (with --churn-mib, that much memory allocated, written and freed before each copy after
// the first); then R rounds, each timing every copy's call in turn and reading the copy's K
// and V with the probe's winning read form. If one copy is slow in every round, its memory
// is (placement); if every copy is slow in one round, the device was at that time.
ExitCode placement_diagnostic(Context& ctx, Sdpa& sdpa, const BenchArgs& a, const std::vector<Point>& points,
                         const ProbeResult& ceil, uint32_t Hq, uint32_t Hkv, uint32_t D, DType act,
                         Timeline* timeline) {
  ProbeForm form = ceil.read;
  form.kind = CeilingKind::Read;
  fmt::print("placement: {} copies of each decode point's inputs, all alive{}; {} rounds, each timing every copy's "
             "call (median of {}, {} calls per submission) and reading its K and V with the read form '{}' "
             "(ceiling {:.0f} GB/s)\n",
             a.placement, a.churn_mib ? fmt::format(", {} MiB churned before each copy after the first", a.churn_mib)
                                      : std::string(),
             a.rounds, a.repeats, a.batch, form.describe(), ceil.read_gbps);
  nlohmann::json out = nlohmann::json::array();
  int ran = 0;
  for (const auto& pt : points) {
    if (pt.mode != "decode") continue;
    for (const auto& why : pt.refused) fmt::print("decode {:>6} {:<4} not run: {}\n", pt.C, pt.dtype, why);
    const DType dtype = pt.dtype == "f16" ? DType::F16 : DType::F32;
    for (Algorithm algo : pt.run) {
      std::vector<std::unique_ptr<BenchInputs>> copies;
      for (uint32_t i = 0; i < a.placement; ++i) {
        if (i && a.churn_mib) churn_memory(ctx, a.churn_mib);
        copies.push_back(std::make_unique<BenchInputs>(ctx, pt.C, pt.S, Hq, Hkv, D, dtype, act));
      }
      std::optional<Tensor> mask = bench_mask(ctx, a, pt.S, pt.C);
      const SdpaOptions opt = call_options(a, algo, Hq, mask ? &*mask : nullptr);
      // us[i][r], read GB/s (K, V) [i][r]
      std::vector<std::vector<double>> us(a.placement), kr(a.placement), vr(a.placement);
      for (uint32_t r = 0; r < a.rounds; ++r)
        for (uint32_t i = 0; i < a.placement; ++i) {
          fmt::print(stderr, "\r[decode C={} {} {}] round {}/{} copy {}/{}   ", pt.C, pt.dtype, to_string(algo), r + 1,
                     a.rounds, i + 1, a.placement);
          if (timeline) timeline->label = fmt::format("placement decode C={} {} {} round {} copy {}", pt.C, pt.dtype,
                                                      to_string(algo), r + 1, i + 1);
          us[i].push_back(time_calls(sdpa, *copies[i], opt, a.warmup, a.repeats, a.batch, false, a.warmup_ms,
                                     timeline, !a.idle_warmup)
                              .per_call_ms *
                          1e3);
          const CacheReadRate rate = measure_cache_read(copies[i]->cache, form, 5);
          kr[i].push_back(rate.keys_gbps);
          vr[i].push_back(rate.values_gbps);
        }
      fmt::print(stderr, "\r");
      fmt::print("\ndecode C={} {} cache, {}: us per call (K / V read GB/s), copy x round\n", pt.C, pt.dtype,
                 to_string(algo));
      std::vector<double> copy_medians, all;
      for (uint32_t i = 0; i < a.placement; ++i) {
        std::string line = fmt::format("  copy {:>2}:", i);
        for (uint32_t r = 0; r < a.rounds; ++r)
          line += fmt::format(" {:8.1f} ({:4.0f}/{:4.0f})", us[i][r], kr[i][r], vr[i][r]);
        fmt::print("{}\n", line);
        copy_medians.push_back(median(us[i]));
        all.insert(all.end(), us[i].begin(), us[i].end());
      }
      double worst_within = 1;  // the largest max/min of one copy over the rounds
      for (const auto& row : us)
        worst_within = std::max(worst_within, *std::max_element(row.begin(), row.end()) /
                                                  *std::min_element(row.begin(), row.end()));
      const auto [lo, hi] = std::minmax_element(copy_medians.begin(), copy_medians.end());
      fmt::print("  spread: copies' medians {:.1f} .. {:.1f} us ({:.2f}x); within one copy over the rounds up to "
                 "{:.2f}x; all {:.1f} .. {:.1f} us\n",
                 *lo, *hi, *hi / *lo, worst_within, *std::min_element(all.begin(), all.end()),
                 *std::max_element(all.begin(), all.end()));
      out.push_back({{"context", pt.C}, {"dtype", pt.dtype}, {"algorithm", to_string(algo)}, {"us", us},
                     {"keys_read_gbps", kr}, {"values_read_gbps", vr}, {"churn_mib", a.churn_mib}});
      ++ran;
    }
  }
  if (!a.json.empty()) {
    nlohmann::json j;
    j["device"] = ctx.adapter().device;
    j["read_form"] = form.describe();
    j["read_ceiling_gbps"] = ceil.read_gbps;
    j["shape"] = {{"q_heads", Hq}, {"kv_heads", Hkv}, {"head_dim", D}};
    j["repeats"] = a.repeats;
    j["batch"] = a.batch;
    j["placement"] = out;
    write_file(a.json, j.dump(1) + "\n", "--json");
  }
  if (!ran) {
    fmt::print(stderr, "webattn: error: --placement measures decode points: none could run (give --decode)\n");
    return kExitNothingRan;
  }
  return kExitOk;
}

}  // namespace

Runner add_bench(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  a->device.add(app);
  app.add_option("--preset", a->preset, "model shape: llama3-8b (Hq 32, Hkv 8, D 128), llama3.2-1b (D 64)")
      ->check(CLI::IsMember(preset_names()));
  app.add_option("--heads", a->heads, "query heads (overrides the preset)")->check(at_least(1));
  app.add_option("--kv-heads", a->kv_heads, "kv heads (overrides the preset; must divide --heads)")->check(at_least(1));
  app.add_option("--head-dim", a->head_dim, "head dim (overrides the preset)")->check(kMultipleOf4);
  CLI::Option* prefill_opt =
      app.add_option("--prefill", a->prefill,
                     "prefill points: S (S = C, input_pos 0) or S@P (a chunk of S tokens at input_pos P, C = P+S); "
                     "a lone 0 skips prefill. Neither --prefill nor "
                     "--decode given: prefill 64,128 and decode 256,512; only one given: only that mode")
          ->delimiter(',');
  CLI::Option* decode_opt =
      app.add_option("--decode", a->decode, "decode context lengths (S = 1, input_pos C-1); a lone 0 skips decode")
          ->delimiter(',')
          ->check(at_least(0));
  app.add_option("--algorithm", a->algorithms, "algorithms (default: all that apply to each point)")
      ->check(kAlgorithmName);
  app.add_option("--dtype", a->dtypes, "cache dtypes: f32, f16")->check(CLI::IsMember({"f32", "f16"}));
  app.add_option("--repeats", a->repeats, "timed runs per point (median reported)")->check(at_least(1, 1000000));
  app.add_option("--warmup", a->warmup, "untimed submissions first (at least this many; see --warmup-ms)")
      ->check(at_least(0, 1000000));
  app.add_option("--warmup-ms", a->warmup_ms,
                 "untimed submissions also continue until this much wall time passed, so an idle GPU's clock has "
                 "climbed back (default: 1500 on a GPU, 0 on a CPU adapter)")
      ->check(finite_in(0.0, 600000.0));
  app.add_flag("--idle-warmup", a->idle_warmup,
               "warm up without queueing untimed calls ahead of each warm-up submission (the GPU then idles while "
               "each one's timestamps are read; for comparison: its clock can fall mid-measurement)");
  app.add_option("--batch", a->batch,
                 "calls recorded back to back in each timed submission (steady state); 1 = isolated calls")
      ->check(at_least(1, 100000));
  app.add_option("--split-workgroups", a->split_workgroups, "split-kv: target workgroup count (0: tuning)")
      ->check(at_least(0));
  app.add_option("--window", a->window,
                 "sliding window W for every call (0: none); the floor column still counts the whole context")
      ->check(at_least(0));
  app.add_option("--softcap", a->softcap, "logit soft-cap for every call (0: none)")->check(finite_in(0.0, 3.4028234663852886e38));
  app.add_flag("--sinks", a->sinks, "an attention sink (logit 0) for every query head");
  app.add_option("--act,--activations", a->act,
                 "activation dtype (q, k_new, v_new, out): f32, or f16, which also times each call with f32 "
                 "activations over the same cache and prints the ratio (f16 / f32)")
      ->check(CLI::IsMember({"f32", "f16"}));
  app.add_flag("--alibi", a->alibi, "ALiBi with the paper's slopes for every call");
  app.add_option("--mask", a->mask,
                 "an explicit mask on every call, hiding nothing: additive (fp32 [S, C], 4 bytes read per query "
                 "row and key) or bool (bit-packed, 1 bit); the floor column does not count its bytes")
      ->check(CLI::IsMember({"additive", "bool"}));
  app.add_option("--flash-threads-x", a->flash_threads_x,
                 "flash-prefill: 16 (64-row tiles) or 8 (128-row); 0: tuning (whose default picks by prompt shape)")
      ->check(CLI::IsMember({0, 8, 16}));
  app.add_option("--flash-keys-per-tile", a->flash_keys_per_tile,
                 "flash-prefill: keys per tile, 16/32/48/64 (one that does not fit falls back); 0: tuning")
      ->check(CLI::IsMember({0, 16, 32, 48, 64}));
  app.add_option("--flash-workgroup-threads", a->flash_workgroup_threads,
                 "flash-prefill: threads per workgroup, 128 or 256; 0: tuning (whose default picks by prompt shape)")
      ->check(CLI::IsMember({0, 128, 256}));
  app.add_option("--tiled-rows", a->tiled_rows, "flash-prefill-tiled: query rows per workgroup (0: tuning)")
      ->check(CLI::IsMember({0, 64, 128}));
  app.add_option("--tiled-keys", a->tiled_keys, "flash-prefill-tiled: keys per tile (0: tuning)")
      ->check(CLI::IsMember({0, 32, 64, 128}));
  app.add_option("--tiled-dchunk", a->tiled_dchunk, "flash-prefill-tiled: head-dim values per staged chunk (0: tuning)")
      ->check(CLI::IsMember({0, 4, 8, 16}));
  app.add_flag("--reprobe", a->reprobe, "measure the device ceilings again (and save them) instead of the saved ones");
  app.add_option("--layers", a->layers,
                 "model step: L layers, each with its own KV cache and plan, one token's decode attention through "
                 "all of them per timed step (contexts from --decode; default algorithm: the planner's). A count, or "
                 "'model' for the preset's (llama3-8b 32, llama3.2-1b 16)");
  app.add_option("--churn-mib", a->churn_mib,
                 "also measure every point after allocating N MiB of GPU buffers (written whole), freeing them, "
                 "then allocating the point's cache; prints fresh, after-churn and their ratio")
      ->check(at_least(1, 1 << 20));
  app.add_flag("--churn-once", a->churn_once,
               "with --churn-mib: churn once at the start, before any cache, and measure each point only after it "
               "(the standalone reproduction: compare with the same bench without --churn-mib in a fresh process)");
  app.add_option("--placement", a->placement,
                 "allocation-history diagnostic: for each decode point, N copies of its inputs (own K/V buffers, all "
                 "alive; with --churn-mib, that much churned before each copy after the first), then --rounds "
                 "rotations timing every copy's call and reading its K and V with the probe's read form; prints the "
                 "copies x rounds matrix (a copy slow in every round: its memory; a round slow for every copy: the "
                 "device at that time)")
      ->check(at_least(2, 64));
  auto* rounds_opt = app.add_option("--rounds", a->rounds, "rotations of --placement")->check(at_least(1, 1000));
  app.add_option("--json", a->json, "write all results as JSON (bench/plot.py draws charts from it)");
  app.add_option("--csv", a->csv, "write one row per result as CSV");
  app.add_option("--timeline", a->timeline,
                 "write one CSV row per timed or warm-up submission (point, index, UTC seconds, warm-up or not, per-call "
                 "us): whether a figure was slow throughout or at the start, lined up with an outside clock trace");
  return [a, prefill_opt, decode_opt, rounds_opt] {
    // ---- arguments alone ----
    // One mode asked for: the other's default sweep is not wanted.
    if (prefill_opt->count() && !decode_opt->count()) a->decode.clear();
    if (decode_opt->count() && !prefill_opt->count()) a->prefill.clear();
    const Preset& pre = find_preset(a->preset);
    const bool step = !a->layers.empty();
    const uint32_t L = step ? parse_layers(a->layers, pre) : 1;
    if (step && prefill_opt->count())
      throw BadArgument("--prefill with --layers: the model step times decode only (its contexts come from --decode)");
    if (step) a->prefill.clear();
    if (a->churn_once && !a->churn_mib)
      throw BadArgument("--churn-once needs --churn-mib N (how many MiB to allocate and free first)");
    if (rounds_opt->count() && !a->placement)
      throw BadArgument("--rounds needs --placement N (it counts the rotations of that diagnostic)");
    if (a->placement && (step || a->churn_once))
      throw BadArgument(std::string("--placement times single calls on fresh copies: it cannot be combined with ") +
                        (step ? "--layers" : "--churn-once"));
    const uint32_t Hq = a->heads.value_or(pre.q_heads), Hkv = a->kv_heads.value_or(pre.kv_heads),
                   D = a->head_dim.value_or(pre.head_dim);
    if (Hq % Hkv)
      throw BadArgument("query heads " + std::to_string(Hq) + " (--heads) are not a multiple of kv heads " +
                        std::to_string(Hkv) + " (--kv-heads): each kv head serves Hq/Hkv query heads");
    std::vector<Algorithm> algos;
    for (const auto& n : a->algorithms) algos.push_back(algorithm_from_string(n));
    const bool explicit_algos = !algos.empty();
    // Per call: every algorithm that applies; a model step: what the planner would run.
    if (!explicit_algos) algos = step ? std::vector<Algorithm>{Algorithm::Auto} : all_algorithms();
    const auto prefill = prefill_points(a->prefill);
    const auto decode = lengths(a->decode, "--decode");
    if (prefill.empty() && decode.empty())
      throw BadArgument("nothing to run: no context length left in --prefill / --decode (a lone 0 skips a mode); "
                        "give at least one");
    check_writable(a->json, "--json");
    check_writable(a->csv, "--csv");
    check_writable(a->timeline, "--timeline");

    // ---- the device's limits (no kernel runs): which points can run ----
    Context ctx = a->device.open();
    const auto& ad = ctx.adapter();
    fmt::print("device: {} ({}){}\n", ad.device, ad.backend,
               ad.adapter_type == "CPU" ? "  -- a CPU adapter: these are NOT GPU timings" : "");
    if (!ctx.has_timestamps()) throw UnsupportedError("this device has no timestamp-query feature: cannot time kernels");
    Sdpa sdpa(ctx);
    if (a->warmup_ms < 0) a->warmup_ms = default_warmup_ms(ad);
    const DType act = a->act == "f16" ? DType::F16 : DType::F32;
    std::vector<Point> points;
    for (const auto& dt : a->dtypes) {
      const auto add = [&](const char* mode, uint32_t C, uint32_t S) { points.push_back({mode, C, S, C - S, dt, {}, {}}); };
      for (auto [S, pos] : prefill) add("prefill", pos + S, S);
      for (auto C : decode) add(step ? "step" : "decode", C, 1);
    }
    std::stable_sort(points.begin(), points.end(), [](const Point& x, const Point& y) {
      return x.mode != y.mode ? x.mode == "prefill" : x.C < y.C;
    });
    size_t requested = 0, refused = 0;
    for (auto& pt : points) {
      const KVCacheConfig cfg{pt.C, Hkv, D, pt.dtype == "f16" ? DType::F16 : DType::F32};
      std::vector<std::string> why;
      std::optional<Tensor> mask = bench_mask(ctx, *a, pt.S, pt.C);
      for (Algorithm algo : algos) {
        SdpaOptions opt = call_options(*a, algo, Hq, mask ? &*mask : nullptr);
        if (step) opt.max_context = pt.C;  // the checks plan() makes
        try {
          // ShapeError: a bad argument, exit 2
          const Algorithm runs = sdpa.validate(pt.S, Hq, pt.pos, cfg, opt, {act, act, act, act});
          if (std::find(pt.run.begin(), pt.run.end(), runs) == pt.run.end()) pt.run.push_back(runs);
        } catch (const UnsupportedError& e) {
          why.push_back(e.what());
        }
      }
      // Explicit algorithms are each a requested point; by default a point is one request
      // served by the algorithms that apply, refused only if none does.
      requested += explicit_algos ? algos.size() : 1;
      if (explicit_algos) refused += why.size();
      else if (pt.run.empty()) ++refused;
      if (explicit_algos || pt.run.empty()) {
        std::sort(why.begin(), why.end());
        why.erase(std::unique(why.begin(), why.end()), why.end());
        pt.refused = why;
      }
    }
    const auto not_run = [](const Point& pt, const std::string& reason) {
      fmt::print("{:<8} {:>6} {:<21} {:<4} not run: {}\n", pt.mode, pt.C, "-", pt.dtype, reason);
    };
    if (refused == requested) {
      for (const auto& pt : points) not_run(pt, join_reasons(pt.refused));
      fmt::print(stderr, "webattn: error: this device can run none of the {} requested points (see above)\n",
                 requested);
      return kExitNothingRan;
    }

    // ---- ceilings, then the runs ----
    const ProbeResult ceil = ceilings_for(ctx, a->reprobe);
    fmt::print("shape: Hq {} Hkv {} D {}; {} calls back to back per submission, median of {} submissions after {} "
               "warm-up (and at least {:.0f} ms of them{})\ntotal = GPU time of a submission timed only at its ends / calls; stages: pass-by-pass "
               "timestamps\nfloor = max(FLOPs / FMA ceiling, bytes / read-only bandwidth ceiling); `by` names the "
               "ceiling that sets it\n",
               Hq, Hkv, D, a->batch, a->repeats, a->warmup, a->warmup_ms,
               a->warmup_ms > 0 && !a->idle_warmup ? ", untimed calls queued ahead of each to keep the GPU busy" : "");
    fmt::print("FLOPs (causal) = 4*Hq*D*sum_s(input_pos+s+1); bytes = q + out + K,V context + cache update\n");
    if (step) {
      uint64_t largest = 0;
      for (const auto& pt : points)
        if (!pt.run.empty())
          largest = std::max(largest, cache_bytes(pt.C, Hkv, D, pt.dtype));
      fmt::print("step: one token's decode attention through {} layers, each with its own KV cache and plan, stepped "
                 "back to back ({} tokens per submission); total = per token; FLOPs, bytes and floor = {} x one "
                 "layer's; caches up to {} per point ({} layers x K and V)\n",
                 L, a->batch, L, size_text(2.0 * L * largest), L);
    }
    std::optional<Timeline> timeline;
    if (!a->timeline.empty()) timeline.emplace(a->timeline);
    Timeline* tl = timeline ? &*timeline : nullptr;
    if (a->placement) return placement_diagnostic(ctx, sdpa, *a, points, ceil, Hq, Hkv, D, act, tl);
    const bool churn_each = a->churn_mib && !a->churn_once;
    if (a->churn_once) {
      const size_t n = churn_memory(ctx, a->churn_mib);
      fmt::print("churn: allocated {} MiB in {} buffers, wrote them and freed them before any cache; every figure "
                 "below is after it\n", a->churn_mib, n);
    } else if (churn_each) {
      fmt::print("churn: each point measured fresh, then after allocating, writing and freeing {} MiB of buffers "
                 "and allocating its inputs again; ratio = after churn / fresh\n", a->churn_mib);
    }
    fmt::print("\n{:<8} {:>6} {:<21} {:<4} {:>10} {}{:>10} {:>7} {:<4}  {}\n", "mode", "C", "algorithm", "kv",
               step ? "us/token" : "total us", churn_each ? fmt::format("{:>10} {:>6} ", "churned", "ratio") : "",
               "floor us", "%floor", "by", step ? "us per layer" : "stages (us)");
    std::vector<Row> rows;
    size_t done = 0, total = 0;
    for (const auto& pt : points) total += pt.run.size() * (churn_each ? 2 : 1);

    // A point's inputs, allocated now: one layer per call, L for a model step.
    using Inputs = std::vector<std::unique_ptr<BenchInputs>>;
    const auto allocate = [&](const Point& pt, DType dtype) {
      Inputs in;
      const uint64_t cache = cache_bytes(pt.C, Hkv, D, pt.dtype);
      try {
        for (uint32_t l = 0; l < L; ++l)
          in.push_back(std::make_unique<BenchInputs>(ctx, pt.C, pt.S, Hq, Hkv, D, dtype, act));
      } catch (const GpuError& e) {
        if (!step || std::string(e.what()).find("out of memory") == std::string::npos) throw;
        throw UnsupportedError(fmt::format("the {} layers' caches need {} (K and V of {} each); the device ran out "
                                           "of memory at layer {}: {}",
                                           L, size_text(2.0 * L * cache), size_text(cache), in.size(), e.what()));
      }
      return in;
    };
    // One algorithm on one point's inputs: per call, or the model step (a plan per layer).
    const auto time_point = [&](const Point& pt, Algorithm algo, Inputs& in) {
      std::optional<Tensor> mask = bench_mask(ctx, *a, pt.S, pt.C);
      SdpaOptions opt = call_options(*a, algo, Hq, mask ? &*mask : nullptr);
      if (!step) {
        Timing t = time_calls(sdpa, *in[0], opt, a->warmup, a->repeats, a->batch, true, a->warmup_ms, tl, !a->idle_warmup);
        if (act == DType::F16) {  // the same call with f32 activations, over the same cache
          BenchInputs f32_act(ctx, in[0]->cache, pt.S, Hq, DType::F32);
          if (tl) tl->label += " f32 act";
          t.f32_act_ms =
              time_calls(sdpa, f32_act, opt, a->warmup, a->repeats, a->batch, false, a->warmup_ms, tl, !a->idle_warmup).per_call_ms;
        }
        return t;
      }
      opt.max_context = pt.C;
      std::vector<SdpaPlan> plans;
      std::vector<SdpaPlan*> order;
      for (auto& l : in) plans.push_back(sdpa.plan(l->q, l->k_new, l->v_new, l->cache, l->out, opt));
      for (auto& p : plans) order.push_back(&p);
      Timing t;
      t.per_call_ms = time_model_step(ctx, order, pt.pos, a->warmup, a->repeats, a->batch, a->warmup_ms, tl, !a->idle_warmup);
      return t;
    };
    // Times every algorithm of the point still runnable on inputs allocated now (freed on
    // return) into `got` (what finished stays there if a GPU error ends it); one the device
    // refuses while running is reported and dropped from pt.run. Throws UnsupportedError when
    // the inputs themselves cannot be allocated.
    const auto measure = [&](Point& pt, DType dtype, const char* phase, std::map<Algorithm, Timing>& got) {
      if (tl) tl->mark(fmt::format("allocating {} C={} {}{}", pt.mode, pt.C, pt.dtype, phase));
      Inputs in = allocate(pt, dtype);
      if (tl) tl->mark("allocated");
      for (auto it = pt.run.begin(); it != pt.run.end();) {
        fmt::print(stderr, "\r[{}/{}] {} C={} {} {}{}   ", ++done, total, pt.mode, pt.C, to_string(*it), pt.dtype,
                   phase);
        if (tl) tl->label = fmt::format("{} C={} S={} {} {}{}", pt.mode, pt.C, pt.S, to_string(*it), pt.dtype, phase);
        try {
          got[*it] = time_point(pt, *it, in);
          ++it;
        } catch (const UnsupportedError& e) {
          fmt::print(stderr, "\r");
          fmt::print("{:<8} {:>6} {:<21} {:<4} not run: {}\n", pt.mode, pt.C, to_string(*it), pt.dtype, e.what());
          pt.refused.push_back(std::string(to_string(*it)) + ": " + e.what());
          if (explicit_algos) ++refused;
          it = pt.run.erase(it);
        }
      }
    };
    // A GPU error stops the sweep, but what ran is still reported and written below.
    std::string gpu_error;
    try {
      for (auto& pt : points) {
        for (const auto& why : pt.refused) not_run(pt, why);
        if (pt.run.empty()) continue;
        const DType dtype = pt.dtype == "f16" ? DType::F16 : DType::F32;
        const std::vector<Algorithm> requested_here = pt.run;
        std::map<Algorithm, Timing> first, churned;
        // The point's rows: every algorithm that finished (with its after-churn figure if that finished).
        const auto emit_rows = [&] {
          fmt::print(stderr, "\r");
          auto cost = attention::sdpa_cost(pt.S, pt.pos, Hq, Hkv, D, dtype == DType::F16 ? 2 : 4, true,
                                           act == DType::F16 ? 2 : 4);
          cost.flops *= L;
          cost.bytes *= L;
          for (Algorithm algo : requested_here) {
            if (!first.count(algo)) continue;
            const Timing& tm = first[algo];
            Row r{pt.mode, to_string(algo), pt.dtype, pt.C, pt.S, pt.pos, tm.stage_ms, tm.stage_order, tm.per_call_ms,
                  cost.flops, cost.bytes, floor_of(ceil, cost.flops, cost.bytes), L,
                  churned.count(algo) ? std::optional<double>(churned[algo].per_call_ms) : std::nullopt, a->act,
                  tm.f32_act_ms > 0 ? std::optional<double>(tm.f32_act_ms) : std::nullopt};
            std::string extra;
            if (r.f32_act_ms) extra = fmt::format("f16 act / f32 act {:.2f}x ", r.total_ms / *r.f32_act_ms);
            if (step) extra = fmt::format("{:.2f} x {} layers", r.total_ms * 1e3 / L, L);
            for (const auto& n : r.stage_order) extra += fmt::format("{}={:.1f} ", n, r.stage_ms[n] * 1e3);
            std::string churn_cols;
            if (churn_each)
              churn_cols = r.churned_ms ? fmt::format("{:>10.1f} {:>5.2f}x ", *r.churned_ms * 1e3, *r.churned_ms / r.total_ms)
                                        : fmt::format("{:>10} {:>6} ", "-", "-");
            fmt::print("{:<8} {:>6} {:<21} {:<4} {:>10.1f} {}{:>10.1f} {:>6.1f}% {:<4}  {}\n", r.mode, r.context,
                       r.algorithm, r.dtype, r.total_ms * 1e3, churn_cols, r.floor.ms * 1e3,
                       100 * r.floor.ms / r.total_ms, r.floor.ceiling, extra);
            rows.push_back(r);
          }
        };
        try {
          measure(pt, dtype, a->churn_once ? " (after churn)" : "", first);
          if (churn_each && !pt.run.empty()) {
            if (tl) tl->mark("churning");
            churn_memory(ctx, a->churn_mib);
            if (tl) tl->mark("churned");
            measure(pt, dtype, " (after churn)", churned);
          }
        } catch (const UnsupportedError& e) {  // a limit validate() does not know: same treatment
          const std::string why = first.empty() ? e.what() : std::string("after churn: ") + e.what();
          not_run(pt, why);
          pt.refused.push_back(why);
          refused += explicit_algos ? requested_here.size() : 1;
          done += first.empty() ? requested_here.size() * (churn_each ? 2 : 1) : requested_here.size();
          if (first.empty()) continue;
        } catch (const ShapeError&) {
          throw;
        } catch (const Error&) {  // a GPU error ends the sweep: what this point finished is still reported
          emit_rows();
          throw;
        }
        emit_rows();
      }
    } catch (const ShapeError&) {  // a bad argument validate() missed: exit 2 as usual
      throw;
    } catch (const Error& e) {  // a GPU error, or a model step that allocated
      gpu_error = e.what();
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
    if (!a->csv.empty()) write_file(a->csv, csv_text(ad, rows), "--csv");
    if (!a->json.empty()) {
      nlohmann::json j = results_json(ad, ceil, rows, points);
      j["shape"] = {{"q_heads", Hq}, {"kv_heads", Hkv}, {"head_dim", D}};
      j["repeats"] = a->repeats;
      j["batch"] = a->batch;
      j["warmup"] = {{"submissions", a->warmup}, {"ms", a->warmup_ms}, {"busy", a->warmup_ms > 0 && !a->idle_warmup}};
      if (step) j["layers"] = L;
      if (a->churn_mib)
        j["churn"] = {{"mib", a->churn_mib},
                      {"when", a->churn_once ? "once, before any cache (every figure is after it)"
                                             : "per point: churned_ms is the point after churn, total_ms fresh"}};
      write_file(a->json, j.dump(1) + "\n", "--json");
    }
    if (!gpu_error.empty()) {
      fmt::print(stderr, "\nwebattn: error: the sweep stopped after {} results: {}\n", rows.size(), gpu_error);
      return kExitRuntime;
    }
    if (refused == requested) {
      fmt::print(stderr, "webattn: error: none of the {} requested points could run (see \"not run\" above)\n",
                 requested);
      return kExitNothingRan;
    }
    if (refused) {
      fmt::print(stderr, "webattn: {} of {} requested points were not run (device limits, see above)\n", refused,
                 requested);
      return kExitSomeRefused;
    }
    return kExitOk;
  };
}

}  // namespace webattn::cli
