// `webattn check`: every algorithm vs the float64 reference on random shapes and presets.
#include <fmt/core.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <unistd.h>

#include "webattn/tensor.hpp"

#include "commands.hpp"
#include "presets.hpp"
#include "webattn/errors.hpp"
#include "webattn/verify.hpp"

namespace webattn::cli {

const Preset& find_preset(const std::string& name) {
  std::string names;
  for (const auto& p : presets()) {
    if (p.name == name) return p;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  throw ShapeError("unknown preset '" + name + "'; expected one of: " + names);
}

namespace {

struct CheckArgs {
  DeviceArgs device;
  int cases = 24;
  uint32_t seed = 1;
  std::vector<std::string> algorithms;
  std::vector<std::string> dtypes = {"f32", "f16"};
  std::string act = "random";
  std::string json;
  bool presets = true;
  bool verbose = false;
  int fuzz = 0;
  std::vector<uint32_t> head_dims = {4, 16, 64, 80, 128, 256};
};

// A sliding window for a call whose context is `context` keys: often just below, at or
// above a flash tile (64 keys) or split-kv tile/chunk (32, 256) edge, else any length up to
// the context and a little past it (a window longer than the context is no window).
uint32_t random_window(std::mt19937& rng, uint32_t context) {
  static constexpr uint32_t edges[] = {1, 2, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257};
  if (rng() % 2) return edges[rng() % std::size(edges)];
  return 1 + rng() % (context + 8);
}

// A logit soft-cap, half the time with a large scale so that most scores lie far past the
// cap (tanh saturated) instead of on its nearly linear part.
void random_softcap(std::mt19937& rng, verify::Case& c) {
  static constexpr float caps[] = {0.5f, 1.f, 5.f, 30.f, 50.f};
  c.softcap = caps[rng() % std::size(caps)];
  if (rng() % 2) c.scale = static_cast<float>(1 + rng() % 30);
}

// Attention sinks, one per query head: logits like the scores (normal, sd 2), or, half the
// time, for some heads far above every score (20 to 80), so that the sink holds nearly
// all of the row's weight and the output is tiny.
void random_sinks(std::mt19937& rng, verify::Case& c) {
  std::normal_distribution<float> logit(0.f, 2.f);
  const bool far = rng() % 2;
  c.sinks.resize(c.Hq);
  for (float& s : c.sinks) s = far && rng() % 2 ? 20.f + static_cast<float>(rng() % 61) : logit(rng);
}

// Activation dtypes: each of q, k_new, v_new, out f32 or f16 on its own (a generator of its
// own, so the shapes a seed draws do not depend on it).
ActivationDTypes random_act(std::mt19937& rng) {
  const auto one = [&] { return rng() % 2 ? DType::F16 : DType::F32; };
  ActivationDTypes act;
  act.q = one();
  act.k_new = one();
  act.v_new = one();
  act.out = one();
  return act;
}

ActivationDTypes case_act(const std::string& mode, std::mt19937& rng) {
  if (mode == "f16") return {DType::F16, DType::F16, DType::F16, DType::F16};
  if (mode == "random" && rng() % 3 == 0) return random_act(rng);
  return {};
}

// ALiBi: half the time the paper's slopes, else random explicit ones: any sign, some 0,
// now and then steep (up to 4) so that only the nearest keys count.
void random_alibi(std::mt19937& rng, verify::Case& c) {
  c.alibi = true;
  if (rng() % 2) return;
  std::uniform_real_distribution<float> slope(-0.5f, 1.f);
  c.alibi_slopes.resize(c.Hq);
  for (float& m : c.alibi_slopes) m = rng() % 8 == 0 ? (rng() % 2 ? 0.f : 4.f) : slope(rng);
}

std::vector<verify::Case> make_cases(const CheckArgs& a) {
  std::vector<verify::Case> out;
  if (a.presets)
    for (const auto& p : presets()) {
      out.push_back({1, p.q_heads, p.kv_heads, p.head_dim, 511, 512});     // decode
      out.push_back({64, p.q_heads, p.kv_heads, p.head_dim, 0, 64});      // prefill
      out.push_back({17, p.q_heads, p.kv_heads, p.head_dim, 100, 130});   // chunked prefill
    }
  std::mt19937 rng(a.seed), act_rng(a.seed * 31u + 5);
  // Presets (large head dims: each activation dtype is another set of slow lavapipe
  // compiles) draw no random activations; --act f16 gives them f16 ones.
  if (a.act == "f16")
    for (auto& c : out) c.act = case_act(a.act, act_rng);
  auto pick = [&](std::initializer_list<uint32_t> xs) { return *(xs.begin() + rng() % xs.size()); };
  for (int i = 0; i < a.cases; ++i) {
    verify::Case c;
    c.Hkv = pick({1, 2, 4});
    c.Hq = c.Hkv * pick({1, 2, 4, 8});
    c.D = a.head_dims[rng() % a.head_dims.size()];
    c.S = rng() % 3 == 0 ? 1 + rng() % 4 : 1 + rng() % 96;
    c.input_pos = rng() % 2 ? rng() % 300 : 0;
    c.capacity = c.input_pos + c.S + rng() % 17;
    c.causal = rng() % 8 != 0;
    if (rng() % 10 == 0) c.scale = 0.05f + static_cast<float>(rng() % 100) / 100.f;
    if (rng() % 5 == 0) c.window_left = random_window(rng, c.input_pos + c.S);
    if (rng() % 6 == 0) random_softcap(rng, c);
    if (rng() % 6 == 0) random_sinks(rng, c);
    c.lse = rng() % 4 == 0;
    c.act = case_act(a.act, act_rng);
    if (rng() % 6 == 0) random_alibi(rng, c);
    if (rng() % 5 == 0) c.mask = rng() % 2 ? MaskKind::Bool : MaskKind::Additive;
    out.push_back(c);
  }
  return out;
}

}  // namespace

Runner add_check(CLI::App& app) {
  auto a = std::make_shared<CheckArgs>();
  a->device.add(app);
  app.add_option("--cases", a->cases, "random shapes (besides the presets)")->check(at_least(0, 100000000));
  app.add_option("--seed", a->seed, "random seed")->check(at_least(0));
  app.add_option("--algorithm", a->algorithms, "algorithms to check (default: all)")->check(kAlgorithmName);
  app.add_option("--dtype", a->dtypes, "cache dtypes: f32, f16")->check(CLI::IsMember({"f32", "f16"}));
  app.add_option("--act", a->act,
                 "activation dtypes (q, k_new, v_new, out): random (about 1 random case in 3 draws each as f32 or "
                 "f16; presets f32), f32, f16 (all four, presets too)")
      ->check(CLI::IsMember({"random", "f32", "f16"}));
  app.add_flag("!--no-presets", a->presets, "skip the named model shapes");
  app.add_flag("-v,--verbose", a->verbose, "print every case, not only failures");
  app.add_option("--json", a->json, "write every result as JSON");
  app.add_option("--fuzz", a->fuzz,
                 "also run N random calls: any algorithm (auto too), dtype, shape, position, mask, sliding window, soft-cap, sinks, log-sum-exp out, ALiBi (default or random slopes), explicit masks (additive or bool, random, with -inf entries and empty rows) and scale, "
                 "about 1 in 8 deliberately invalid: a cache too short or an option outside its allowed set "
                 "(must raise a ShapeError)")
      ->check(at_least(0, 100000000));
  app.add_option("--head-dims", a->head_dims, "head dims the random shapes draw from")
      ->delimiter(',')
      ->check(kMultipleOf4);
  app.footer(std::string("A check that compared nothing fails (exit 4); cases an algorithm cannot run on this\n"
                         "device are counted as skipped.\n") + kExitCodesHelp);
  return [a] {
    // The "[i/n]" progress line rewrites itself with \r: on a terminal only (in a log it glued onto the next line).
    const bool progress = isatty(fileno(stderr)) != 0;
    if (a->head_dims.empty()) throw BadArgument("--head-dims: give at least one head dim");
    if (a->cases == 0 && !a->presets && a->fuzz == 0)
      throw BadArgument("nothing to check: --cases 0 with --no-presets and no --fuzz");
    check_writable(a->json, "--json");
    std::vector<Algorithm> algos;
    for (const auto& n : a->algorithms) algos.push_back(algorithm_from_string(n));
    if (algos.empty()) algos = all_algorithms();
    const auto cases = make_cases(*a);
    Context ctx = a->device.open();
    fmt::print("device: {} ({})\n", ctx.adapter().device, ctx.adapter().backend);
    // Before any kernel: is there anything this device can compare?
    if (a->fuzz == 0) {
      size_t runnable = 0;
      std::string why;
      Sdpa limits(ctx);
      for (const auto& c : cases)
        for (Algorithm algo : algos)
          for (const auto& dt : a->dtypes) {
            const DType dtype = dt == "f16" ? DType::F16 : DType::F32;
            if (verify::supported(ctx, c, algo, dtype)) {
              ++runnable;
              continue;
            }
            if (!why.empty()) continue;
            SdpaOptions opt;
            opt.algorithm = algo;
            try {
              limits.validate(c.S, c.Hq, c.input_pos, {c.capacity, c.Hkv, c.D, dtype},
                              opt, c.act);
            } catch (const ConfigError&) {
              throw;  // a bad environment setting: exit 2, not "nothing to check"
            } catch (const Error& e) {
              why = std::string(to_string(algo)) + " on " + c.str() + ": " + e.what();
            }
          }
      if (runnable == 0) {
        fmt::print(stderr, "webattn: error: nothing to check: this device can run none of the {} case(s) with the "
                           "algorithms asked for (e.g. {})\n", cases.size() * algos.size() * a->dtypes.size(), why);
        return kExitNothingRan;
      }
    }
    int passed = 0, failed = 0, skipped = 0;
    // Worst errors by cache dtype (an f16 cache is judged by rel L2 alone), f16 outputs apart.
    double worst_abs = 0, worst_rel = 0, worst_abs_f16 = 0, worst_rel_f16 = 0, worst_rel_f16_out = 0;
    int f32_cache_cases = 0, f16_cache_cases = 0;
    // f16 out whose reference lies mostly below f16's normal range (its underflow allowance over the
    // relative limit: a half cannot hold it, so rel_l2 up to 1 is what rounding gives): counted apart.
    int f16_underflow_cases = 0;
    double worst_underflow_rel = 0;
    nlohmann::json rows = nlohmann::json::array();
    uint32_t seed = a->seed * 7919;
    size_t done = 0;
    const size_t total = cases.size() * algos.size() * a->dtypes.size();
    // Counts one compared run; prints it if it failed (or with --verbose). Returns whether it passed.
    const auto tally = [&](const verify::Result& r, const std::string& what) {
      const bool ok = r.passed();
      ok ? ++passed : ++failed;
      if (r.out_dtype == DType::F16 && r.out_underflow_rel > verify::tolerance(r.dtype, r.gain, DType::F16).rel_l2) {
        ++f16_underflow_cases;
        worst_underflow_rel = std::max(worst_underflow_rel, r.cmp.rel_l2);
      } else if (r.out_dtype == DType::F16) {  // f16 rounding dominates: reported apart
        worst_rel_f16_out = std::max(worst_rel_f16_out, r.cmp.rel_l2 / r.gain);
      } else if (r.dtype == DType::F16) {
        ++f16_cache_cases;
        worst_abs_f16 = std::max(worst_abs_f16, r.cmp.max_abs / r.gain);
        worst_rel_f16 = std::max(worst_rel_f16, r.cmp.rel_l2 / r.gain);
      } else {
        ++f32_cache_cases;
        worst_abs = std::max(worst_abs, r.cmp.max_abs / r.gain);
        worst_rel = std::max(worst_rel, r.cmp.rel_l2 / r.gain);
      }
      if (!ok || a->verbose)
        fmt::print("{} {:<76} max_abs {:.2e} rel_l2 {:.2e}{}{}\n", ok ? "ok  " : "FAIL", what, r.cmp.max_abs,
                   r.cmp.rel_l2, r.cache_exact ? "" : " CACHE-UPDATE-WRONG",
                   r.cmp.nonfinite ? fmt::format(" {} non-finite/unwritten", r.cmp.nonfinite) : "");
      return ok;
    };
    // A GPU error stops the check, but the results so far are still counted and written.
    std::string gpu_error;
    int fuzz_rejected = 0;
    try {
      for (const auto& c : cases)
        for (Algorithm algo : algos)
          for (const auto& dt : a->dtypes) {
            ++done;
            const DType dtype = dt == "f16" ? DType::F16 : DType::F32;
            if (const std::string why = verify::why_unsupported(ctx, c, algo, dtype); !why.empty()) {
              ++skipped;
              if (a->verbose) fmt::print("skip {:<22} {:<3} {}: {}\n", to_string(algo), dt, c.str(), why);
              continue;
            }
            auto r = verify::run_case(ctx, c, algo, dtype, ++seed);
            const bool ok = tally(r, fmt::format("{:<22} {:<3} {}", to_string(algo), dt, c.str()));
            if (ok && !a->verbose && progress) fmt::print(stderr, "\r[{}/{}]", done, total);
            rows.push_back({{"case", c.str()},
                            {"algorithm", to_string(algo)},
                            {"dtype", dt},
                            {"max_abs", r.cmp.max_abs},
                            {"rel_l2", r.cmp.rel_l2},
                            {"cache_exact", r.cache_exact},
                            {"nonfinite", r.cmp.nonfinite},
                            {"passed", ok}});
          }
      std::mt19937 frng(a->seed * 104729u + 17), act_rng(a->seed * 7u + 3);
      for (int i = 0; i < a->fuzz; ++i) {
        if (progress) fmt::print(stderr, "\r[fuzz {}/{}]", i + 1, a->fuzz);
        verify::Case c;
        c.Hkv = 1 + frng() % 4;
        c.Hq = c.Hkv * (1 + frng() % 8);
        c.D = a->head_dims[frng() % a->head_dims.size()];
        c.S = frng() % 2 ? 1 + frng() % 4 : 1 + frng() % 130;
        c.input_pos = frng() % 3 ? frng() % 400 : 0;
        c.capacity = c.input_pos + c.S + frng() % 20;
        c.causal = frng() % 6 != 0;
        if (frng() % 8 == 0) c.scale = 0.01f + static_cast<float>(frng() % 300) / 100.f;
        if (frng() % 4 == 0) c.window_left = random_window(frng, c.input_pos + c.S);
        if (frng() % 5 == 0) random_softcap(frng, c);
        if (frng() % 5 == 0) random_sinks(frng, c);
        c.lse = frng() % 4 == 0;
        if (act_rng() % 2) c.act = random_act(act_rng);
        if (frng() % 5 == 0) random_alibi(frng, c);
        if (frng() % 4 == 0) c.mask = frng() % 2 ? MaskKind::Bool : MaskKind::Additive;
        const DType dtype = frng() % 2 ? DType::F16 : DType::F32;
        std::vector<Algorithm> choices = all_algorithms();
        choices.push_back(Algorithm::Auto);
        const Algorithm algo = choices[frng() % choices.size()];
        const bool invalid = frng() % 8 == 0;
        if (invalid && frng() % 4 == 0) {  // an invalid call: an option outside its allowed set
          SdpaOptions bad;
          const uint32_t kind = frng() % 6;
          if (kind == 0) bad.algorithm = static_cast<Algorithm>(5 + frng() % 100);
          if (kind == 1) bad.flash_keys_per_tile = 16 * (frng() % 5) + 1 + frng() % 15;
          if (kind == 2) bad.flash_threads_x = 17 + frng() % 100;
          if (kind == 3) bad.split_kv_workgroups = 65537 + frng() % 100000;
          if (kind == 4) {  // ALiBi slopes: one per query head, all finite
            bad.alibi = true;
            bad.alibi_slopes.assign(c.Hq + 1, 0.25f);
          }
          if (kind == 5) {
            bad.alibi = true;
            bad.alibi_slopes.assign(c.Hq, 0.25f);
            bad.alibi_slopes[frng() % c.Hq] = frng() % 2 ? std::numeric_limits<float>::quiet_NaN()
                                                         : std::numeric_limits<float>::infinity();
          }
          ActivationDTypes bad_act = c.act;
          if (act_rng() % 4 == 0) {  // or an activation dtype outside the enum
            bad = {};
            bad_act.out = static_cast<DType>(2 + act_rng() % 100);
          }
          try {
            Sdpa(ctx).validate(c.S, c.Hq, c.input_pos, {c.capacity, c.Hkv, c.D, dtype}, bad, bad_act);
            fmt::print("FAIL fuzz invalid option accepted: {}\n", c.str());
            ++failed;
          } catch (const ShapeError&) {
            ++fuzz_rejected;
          }
          continue;
        }
        if (invalid) {  // an invalid call: the cache one position too short
          try {
            verify::Case bad = c;
            bad.capacity = c.input_pos + c.S - 1;
            if (bad.capacity == 0) bad.capacity = 1, bad.input_pos = 1;
            Context& cx = ctx;
            KVCache cache(cx, {bad.capacity, bad.Hkv, bad.D, dtype});
            Tensor q(cx, {bad.S, bad.Hq, bad.D}), k(cx, {bad.S, bad.Hkv, bad.D}), v(cx, {bad.S, bad.Hkv, bad.D});
            Sdpa sdpa(cx);
            sdpa.forward(q, k, v, cache, bad.input_pos);
            fmt::print("FAIL fuzz invalid call accepted: {}\n", bad.str());
            ++failed;
          } catch (const ShapeError&) {
            ++fuzz_rejected;
          }
          continue;
        }
        if (!verify::supported(ctx, c, algo, dtype)) {
          ++skipped;
          continue;
        }
        tally(verify::run_case(ctx, c, algo, dtype, ++seed),
              fmt::format("fuzz {:<22} {:<3} {}", to_string(algo), to_string(dtype), c.str()));
      }
    } catch (const GpuError& e) {
      gpu_error = e.what();
    }
    if (a->fuzz) fmt::print("fuzz: {} calls, {} invalid ones rejected as they should be\n", a->fuzz, fuzz_rejected);
    if (progress) fmt::print(stderr, "\r");
    if (f32_cache_cases > 0)
      fmt::print("worst max_abs {:.2e}, worst rel_l2 {:.2e} with f32 caches (divided by each case's scale gain; limits {:.0e} / {:.0e})\n",
                 worst_abs, worst_rel, verify::tolerance(DType::F32).max_abs, verify::tolerance(DType::F32).rel_l2);
    if (f16_cache_cases > 0)
      fmt::print("f16 caches: worst rel_l2 {:.2e} (limit {:.0e}), worst max_abs {:.2e} (not limited: f16 caches are judged by rel "
                 "L2 alone, against the reference on the f16-rounded K and V)\n",
                 worst_rel_f16, verify::tolerance(DType::F16).rel_l2, worst_abs_f16);
    if (worst_rel_f16_out > 0)
      fmt::print("f16 out: worst rel_l2 {:.2e} (limit {:.2e} with an f32 cache, {:.2e} with an f16 one)\n",
                 worst_rel_f16_out, verify::tolerance(DType::F32, 1, DType::F16).rel_l2,
                 verify::tolerance(DType::F16, 1, DType::F16).rel_l2);
    if (f16_underflow_cases > 0)
      fmt::print("f16 out below half precision's normal range: {} case(s), worst rel_l2 {:.2e}, each judged by its limit plus "
                 "what rounding to a half adds there (2^-25 per element, see verify.hpp; failures are listed above)\n",
                 f16_underflow_cases, worst_underflow_rel);
    fmt::print("check: {} passed, {} failed, {} skipped (not supported on this device/shape)\n", passed, failed,
               skipped);
    if (!a->json.empty()) write_file(a->json, rows.dump(1) + "\n", "--json");
    if (!gpu_error.empty()) {
      fmt::print(stderr, "webattn: error: the check stopped: {}\n", gpu_error);
      return kExitRuntime;
    }
    if (failed) return kExitCheckFailed;
    if (passed == 0) {
      fmt::print(stderr, "webattn: error: the check compared nothing (0 passed)\n");
      return kExitNothingRan;
    }
    return kExitOk;
  };
}

}  // namespace webattn::cli
