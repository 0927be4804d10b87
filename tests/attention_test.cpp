// Every algorithm against the float64 reference on many random shapes (odd context
// lengths, chunked prefill, g = 1 and g > 1, several head dims), both cache dtypes.
#include <gtest/gtest.h>

#include "gpu/pipeline.hpp"
#include "internal.hpp"
#include "test_context.hpp"

#include "webattn/webattn.hpp"
#include "webattn/verify.hpp"

#include <cstdlib>
#include <random>

using namespace webattn;
using verify::Case;

Context& shared_context() { return webattn::testing::test_context(); }

namespace {

bool supports(Algorithm a, const Case& c) { return verify::supported(shared_context(), c, a); }

// Random shapes. Each distinct (head dim, padded row count) is a separate pipeline
// for the fused kernels, and lavapipe compiles one in seconds to tens of seconds
// from a cold shader cache: their random shapes draw from fewer head dims and row
// counts (the named edge shapes cover D = 4, 80, 256) so CI stays well inside its time.
std::vector<Case> random_cases(uint32_t seed, int n, Algorithm algo) {
  std::mt19937 rng(seed);
  auto pick = [&](std::initializer_list<uint32_t> xs) { return *(xs.begin() + rng() % xs.size()); };
  const bool fused = algo == Algorithm::FlashPrefill || algo == Algorithm::FlashPrefillTiled ||
                     algo == Algorithm::SplitKvDecode;
  std::vector<Case> out;
  while (static_cast<int>(out.size()) < n) {
    Case c{};
    c.Hkv = pick({1, 2, 3});
    c.Hq = c.Hkv * pick({1, 2, 4, 8});
    // split-kv compiles one pipeline per (padded rows, D, same-visibility) on lavapipe, up to
    // a minute each from a cold shader cache: its random shapes draw two head dims (D=128 runs
    // in NamedEdgeShapes, `webattn check` and the long-sum suite).
    c.D = algo == Algorithm::SplitKvDecode ? pick({8, 64}) : fused ? pick({8, 64, 128}) : pick({4, 8, 64, 80, 128});
    if (algo == Algorithm::SplitKvDecode) {
      // S x g padded to a power of two lands on 1, 4 or 8 rows
      static const std::pair<uint32_t, uint32_t> sg[] = {{1, 1}, {1, 4}, {2, 2}, {4, 1}, {1, 8},
                                                          {2, 4}, {3, 2}, {1, 3}, {3, 1}, {5, 1}};
      const auto [S, g] = sg[rng() % std::size(sg)];
      c.S = S;
      c.Hq = c.Hkv * g;
    } else {
      c.S = rng() % 3 == 0 ? 1 + rng() % 4 : 1 + rng() % 70;
    }
    c.input_pos = rng() % 2 ? rng() % 150 : 0;
    c.capacity = c.input_pos + c.S + rng() % 9;
    c.causal = rng() % 8 != 0;
    if (rng() % 10 == 0) c.scale = 0.05f + static_cast<float>(rng() % 100) / 100.f;
    if (supports(algo, c)) out.push_back(c);
  }
  return out;
}

struct Param {
  Algorithm algo;
  DType dtype;
};

class AllAlgorithms : public ::testing::TestWithParam<Param> {};

void expect_close(const Case& c, const verify::Result& r, DType dtype) {
  const auto tol = verify::tolerance(dtype, verify::score_gain(c));
  EXPECT_TRUE(r.cache_exact) << c.str() << ": cache update wrong";
  EXPECT_EQ(r.cmp.nonfinite, 0u) << c.str() << ": output elements unwritten or non-finite";
  EXPECT_LE(r.cmp.max_abs, tol.max_abs) << c.str();
  EXPECT_LE(r.cmp.rel_l2, tol.rel_l2) << c.str();
}

TEST_P(AllAlgorithms, MatchesFloat64ReferenceOnRandomShapes) {
  const auto [algo, dtype] = GetParam();
  const auto cases = random_cases(1000 + static_cast<uint32_t>(algo) * 10 + static_cast<uint32_t>(dtype), 50, algo);
  uint32_t seed = 1;
  for (const auto& c : cases) {
    auto r = verify::run_case(shared_context(), c, algo, dtype, seed++);
    EXPECT_EQ(r.ran, algo);
    expect_close(c, r, dtype);
    if (HasFailure()) break;  // one clear failure beats fifty
  }
}

TEST_P(AllAlgorithms, NamedEdgeShapes) {
  const auto [algo, dtype] = GetParam();
  const std::vector<Case> named = {
      {1, 1, 1, 4, 0, 1},         // C = 1
      {1, 32, 8, 128, 511, 512},  // llama3-8b decode, g=4, fills the cache
      {1, 8, 1, 64, 300, 333},    // MQA decode, g=8
      {3, 4, 4, 80, 37, 45},      // small S > 1 after a prefix, D=80, g=1
      {37, 4, 2, 64, 0, 37},      // prefill, C odd, not a multiple of any tile
      {65, 8, 2, 128, 0, 70},     // prefill one row past a 64-row tile
      {20, 4, 1, 256, 100, 131},  // chunked prefill, D=256
      {5, 6, 3, 8, 0, 5, false},  // non-causal
  };
  uint32_t seed = 77;
  for (const auto& c : named) {
    if (!supports(algo, c)) continue;
    expect_close(c, verify::run_case(shared_context(), c, algo, dtype, seed++), dtype);
  }
}

std::string name(const ::testing::TestParamInfo<Param>& info) {
  std::string n = to_string(info.param.algo);
  for (auto& ch : n)
    if (ch == '-') ch = '_';
  return n + "_" + to_string(info.param.dtype);
}

std::vector<Param> params() {
  std::vector<Param> out;
  for (Algorithm a : all_algorithms())
    for (DType d : {DType::F32, DType::F16}) out.push_back({a, d});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Sdpa, AllAlgorithms, ::testing::ValuesIn(params()), name);

}  // namespace

// f16 caches read as WGSL f16 (the shader-f16 variant), where the device offers it.
TEST(NativeF16, EveryAlgorithmMatchesTheReference) {
  if (!shared_context().has_shader_f16()) GTEST_SKIP() << "no shader-f16 on this adapter";
  const std::vector<Case> cases = {
      {1, 8, 2, 64, 300, 333},   // decode, g=4
      {3, 4, 4, 8, 37, 45},      // small S after a prefix
      {37, 4, 2, 64, 0, 37},     // prefill, odd C
      {5, 6, 3, 8, 0, 5, false}  // non-causal
  };
  Tuning native;
  native.native_f16 = true;
  uint32_t seed = 900;
  for (Algorithm algo : all_algorithms())
    for (const auto& c : cases) {
      if (!supports(algo, c)) continue;
      auto r = verify::run_case(shared_context(), c, algo, DType::F16, seed++, &native);
      expect_close(c, r, DType::F16);
    }
}

// flash-prefill with 128-row tiles (8 threads along keys), which the planner picks only
// for long prompts; forced here on shapes that cross and straddle the 128-row tile.
TEST(FlashWideTiles, MatchTheReference) {
  Tuning wide;
  wide.flash_threads_x = 8;
  const std::vector<Case> cases = {
      {129, 2, 2, 64, 0, 129},    // one row past a tile, g=1
      {70, 8, 2, 128, 30, 110},   // chunked prefill, g=4: 280 rows
      {33, 4, 1, 8, 0, 40},       // MQA, tiny D
      {50, 4, 2, 80, 7, 60, false},  // non-causal, D=80 (DV rounds up)
  };
  uint32_t seed = 1300;
  for (DType dtype : {DType::F32, DType::F16})
    for (const auto& c : cases)
      expect_close(c, verify::run_case(shared_context(), c, Algorithm::FlashPrefill, dtype, seed++, &wide), dtype);
}

// One causal prompt of S tokens at input_pos 0 through flash-prefill with threads_x (0: the
// planner's rule) on `sdpa`, random inputs from `seed`: the output's bits (the tests below tell tile
// shapes apart by their summation order).
std::vector<float> flash_prompt(Context& ctx, Sdpa& sdpa, uint32_t S, uint32_t hq, uint32_t hkv, uint32_t d,
                                uint32_t threads_x, uint32_t seed) {
  std::mt19937 rng(seed);
  const auto rnd = [&](size_t n) { return webattn::testing::randn(rng, n); };
  KVCache cache(ctx, {S, hkv, d});
  SdpaOptions opt;
  opt.algorithm = Algorithm::FlashPrefill;
  opt.flash_threads_x = threads_x;
  return sdpa
      .forward(Tensor::from(ctx, {S, hq, d}, rnd(size_t{S} * hq * d)), Tensor::from(ctx, {S, hkv, d}, rnd(size_t{S} * hkv * d)),
               Tensor::from(ctx, {S, hkv, d}, rnd(size_t{S} * hkv * d)), cache, 0, opt)
      .download();
}

// flash-prefill's two ways of handing the probabilities to the P.V loop: subgroup shuffles
// (P_SHUFFLE, the default where the adapter reports one subgroup width that the row group's
// lanes divide; more keys per tile) and the P tile in workgroup memory, each with 128- and
// 64-row tiles where it can run, on the shapes and variants the diagonal and masked paths take.
TEST(FlashProbabilities, ShuffledAndStagedMatchTheReference) {
  Context& ctx = shared_context();
  const uint32_t w = webattn::testing::fixed_subgroup_width(ctx);
  std::vector<Case> cases = {
      {67, 2, 2, 32, 0, 67},       // past a 64-row tile, g=1
      {37, 8, 2, 128, 30, 70},     // chunked prefill, g=4
      {30, 4, 2, 80, 7, 40, false},  // non-causal, D=80
  };
  Case win{50, 4, 2, 64, 20, 70};
  win.window_left = 33;
  cases.push_back(win);
  Case mix{24, 8, 2, 64, 10, 34};
  mix.mask = MaskKind::Additive;
  mix.sinks = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, -3.0f, 0.25f, 4.0f};
  mix.lse = true;
  cases.push_back(mix);
  Case cap{40, 4, 1, 32, 0, 40, false};
  cap.softcap = 4;
  cap.alibi = true;
  cases.push_back(cap);
  uint32_t seed = 1400;
  for (const char* path : {"memory", "shuffle"}) {
    for (uint32_t tx : {8u, 16u}) {
      if (std::string(path) == "shuffle" && (w < tx || w % tx != 0)) continue;
      webattn::testing::ScopedEnv env("WEBATTN_FLASH_P", path);
      Tuning tiles;
      tiles.flash_threads_x = tx;
      SCOPED_TRACE(std::string("WEBATTN_FLASH_P=") + path + ", threads_x " + std::to_string(tx));
      for (size_t i = 0; i < cases.size(); ++i)  // the f16 cache on every other shape
        for (DType dtype : {DType::F32, DType::F16})
          if (dtype == DType::F32 || i % 2 == 1)
            expect_close(cases[i], verify::run_case(ctx, cases[i], Algorithm::FlashPrefill, dtype, seed++, &tiles), dtype);
    }
  }
}

// The default is the shuffled form where it can run (seen through the bits: its tile holds more
// keys, so it sums in another order than the staged form), a bad value is a ConfigError and the
// shuffled form forced where it cannot run an UnsupportedError naming why.
TEST(FlashProbabilities, TheDefaultAndTheSwitch) {
  Context& ctx = shared_context();
  const uint32_t w = webattn::testing::fixed_subgroup_width(ctx);
  Sdpa sdpa(ctx);
  const auto run = [&](uint32_t tx) { return flash_prompt(ctx, sdpa, 200, 4, 2, 64, tx, 5); };
  std::vector<float> staged, shuffled;
  {
    webattn::testing::ScopedEnv env("WEBATTN_FLASH_P", "memory");
    staged = run(8);
  }
  unsetenv("WEBATTN_FLASH_P");
  const std::vector<float> picked = run(8);
  if (w >= 8 && w % 8 == 0) {
    webattn::testing::ScopedEnv env("WEBATTN_FLASH_P", "shuffle");
    shuffled = run(8);
    EXPECT_EQ(picked, shuffled) << "the shuffled form should be the default where it can run";
    EXPECT_NE(picked, staged) << "the two forms gave the same bits: the test cannot tell them apart";
  } else {
    EXPECT_EQ(picked, staged) << "without one subgroup width the P tile runs";
  }
  {
    webattn::testing::ScopedEnv env("WEBATTN_FLASH_P", "registers");
    const std::string msg = webattn::testing::error_of<ConfigError>([&] { run(8); });
    EXPECT_NE(msg.find("WEBATTN_FLASH_P=registers is not one of shuffle, memory"), std::string::npos) << msg;
  }
  if (w < 16) {  // 64-row tiles (16 lanes per row group) on narrower subgroups, or none
    webattn::testing::ScopedEnv env("WEBATTN_FLASH_P", "shuffle");
    const std::string msg = webattn::testing::error_of<UnsupportedError>([&] { run(16); });
    EXPECT_NE(msg.find("WEBATTN_FLASH_P=shuffle: flash-prefill needs subgroups of one width that 16 lanes divide"),
              std::string::npos)
        << msg;
  }
}

using webattn::testing::ScopedEnv;

// flash-prefill with the next K tile prefetched into registers (PREFETCH_K) and loaded right before its
// store, each forced, against the reference: 128-row tiles of 256 threads and 32-row ones of 128, head
// dims on both sides of the rule's D > 64, prompts of several key tiles (the prefetch crosses tiles),
// chunked, masked with sinks and an LSE, a split context; forcing a form changes the kernel run (the two
// give the same bits, so the pipeline cache tells them apart); and a bad value is a ConfigError.
TEST(FlashKPrefetch, BothFormsMatchTheReference) {
  Context& ctx = shared_context();
  {
    // D=120: a head dim no other test uses, so neither form's kernel is in the process's pipeline cache yet
    // (the whole test binary runs in one process on the device).
    const Case c{100, 2, 1, 120, 0, 100};
    Tuning t;
    t.flash_threads_x = 8;
    const auto run = [&](const char* pf) {
      ScopedEnv env("WEBATTN_FLASH_PREFETCH_K", pf);
      verify::run_case(ctx, c, Algorithm::FlashPrefill, DType::F32, 1499, &t);
    };
    const auto& pipes = gpu_device(ctx).pipelines();
    run("on");
    const size_t misses = pipes.misses();
    run("on");
    EXPECT_EQ(pipes.misses(), misses) << "the same form forced twice should reuse its pipelines";
    run("off");
    EXPECT_GT(pipes.misses(), misses) << "WEBATTN_FLASH_PREFETCH_K=off should build another kernel than on";
  }
  std::vector<Case> cases = {
      {100, 2, 1, 128, 0, 100},   // 100 keys: 2+ tiles of every width
      {40, 8, 2, 128, 90, 130},   // chunked prefill, g=4
      {61, 4, 2, 64, 40, 101},    // D=64 (the rule keeps the prefetch)
  };
  Case mix{16, 8, 2, 128, 100, 116};
  mix.mask = MaskKind::Additive;
  mix.sinks = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, -3.0f, 0.25f, 4.0f};
  mix.lse = true;
  cases.push_back(mix);
  uint32_t seed = 1500;
  for (const char* pf : {"on", "off"}) {
    ScopedEnv env("WEBATTN_FLASH_PREFETCH_K", pf);
    // 128-row tiles of 256 threads (K/V tiles wait unpacked) and 32-row ones of 128 (an f16 tile waits packed).
    for (auto [tx, threads] : {std::pair{8u, 256u}, std::pair{16u, 128u}}) {
      Tuning t;
      t.flash_threads_x = tx;
      t.flash_workgroup_threads = threads;
      SCOPED_TRACE(std::string("WEBATTN_FLASH_PREFETCH_K=") + pf + ", threads_x " + std::to_string(tx) + ", " +
                   std::to_string(threads) + " threads");
      for (size_t i = 0; i < cases.size(); ++i)  // the f16 cache on the first shape
        for (DType dtype : {DType::F32, DType::F16})
          if (dtype == DType::F32 || i == 0)
            expect_close(cases[i], verify::run_case(ctx, cases[i], Algorithm::FlashPrefill, dtype, seed++, &t), dtype);
    }
    // A split context (few rows on a long one: chunks merged after), K tiles prefetched within a chunk.
    ScopedEnv chunks("WEBATTN_FLASH_CHUNKS", "3");
    const Case split{8, 4, 1, 128, 300, 308};
    SCOPED_TRACE(std::string("split context, WEBATTN_FLASH_PREFETCH_K=") + pf);
    expect_close(split, verify::run_case(ctx, split, Algorithm::FlashPrefill, DType::F32, seed++), DType::F32);
  }
  ScopedEnv env("WEBATTN_FLASH_PREFETCH_K", "maybe");
  const std::string msg = webattn::testing::error_of<ConfigError>(
      [&] { verify::run_case(ctx, cases[0], Algorithm::FlashPrefill, DType::F32, 1); });
  EXPECT_NE(msg.find("WEBATTN_FLASH_PREFETCH_K=maybe is not one of on, off"), std::string::npos) << msg;
}

// The planner's rule: 128-row tiles where they still give >= 256 workgroups (64 row blocks x 4
// kv heads here), 64-row tiles below. Seen through the bits: the two tile shapes sum each row in
// another order, so the rule's output equals the forced shape's it picked, bit for bit, and
// differs from the other's somewhere. $WEBATTN_FLASH_THREADS_X forces the rule's choice.

TEST(FlashWideTiles, LongPromptsTakeThemShortOnesDoNot) {
  Context& ctx = shared_context();
  Sdpa sdpa(ctx);
  sdpa.set_tuning(Tuning{});  // the built-in defaults, whatever a tuning file says
  unsetenv("WEBATTN_FLASH_THREADS_X");
  const uint32_t hq = 16, hkv = 4, d = 16;
  const auto run = [&](uint32_t S, uint32_t threads_x) { return flash_prompt(ctx, sdpa, S, hq, hkv, d, threads_x, S); };
  // S=2048: 8192 packed rows per kv head = 64 row blocks of 128 x 4 kv heads = 256 workgroups.
  const auto wide = run(2048, 8), narrow = run(2048, 16), picked = run(2048, 0);
  EXPECT_EQ(picked, wide) << "S=2048 should take 128-row tiles";
  EXPECT_NE(picked, narrow) << "the two tile shapes gave the same bits: the test cannot tell them apart";
  // S=1984: 62 row blocks x 4 = 248 workgroups < 256.
  const auto small_wide = run(1984, 8), small_narrow = run(1984, 16), small_picked = run(1984, 0);
  EXPECT_EQ(small_picked, small_narrow) << "S=1984 should keep 64-row tiles";
  EXPECT_NE(small_picked, small_wide);
  // A tuning that fixes 64-row tiles beats the rule.
  Tuning narrow_tuning;
  narrow_tuning.flash_threads_x = 16;
  sdpa.set_tuning(narrow_tuning);
  EXPECT_EQ(run(2048, 0), narrow) << "the tuning's flash_threads_x 16 overrides the rule";
  sdpa.set_tuning(Tuning{});
  {
    ScopedEnv env("WEBATTN_FLASH_THREADS_X", "16");
    EXPECT_EQ(run(2048, 0), narrow) << "$WEBATTN_FLASH_THREADS_X=16 overrides the rule";
    EXPECT_EQ(run(2048, 8), wide) << "but not the options";
  }
  {
    ScopedEnv env("WEBATTN_FLASH_THREADS_X", "8");
    EXPECT_EQ(run(1984, 0), small_wide) << "$WEBATTN_FLASH_THREADS_X=8 forces 128-row tiles on a shorter prompt";
  }
  ScopedEnv env("WEBATTN_FLASH_THREADS_X", "4");
  try {
    run(64, 0);
    ADD_FAILURE() << "WEBATTN_FLASH_THREADS_X=4 was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("WEBATTN_FLASH_THREADS_X=4"), std::string::npos) << e.what();
  }
}
