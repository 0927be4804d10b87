// split-kv with the cache update fused into its split pass (the default where each cache
// is one binding) and with the separate update pass ($WEBATTN_SPLIT_KV_UPDATE=separate):
// both against float64, the whole cache compared, new rows straddling chunk edges, windows,
// both cache dtypes; and which passes actually ran.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "host_call.hpp"
#include "test_context.hpp"
#include "webattn/verify.hpp"
#include "webattn/webattn.hpp"

using namespace webattn;
using webattn::testing::expect_case_passes;
using webattn::testing::test_context;

namespace {

// Sets $WEBATTN_SPLIT_KV_UPDATE for one scope (prepared passes read it when made).
struct UpdateMode {
  explicit UpdateMode(const char* mode) { setenv("WEBATTN_SPLIT_KV_UPDATE", mode, 1); }
  ~UpdateMode() { unsetenv("WEBATTN_SPLIT_KV_UPDATE"); }
};

// One head dim and few row counts: each (rows, head dim, dtype, mode) is a pipeline that
// lavapipe compiles for seconds.
std::vector<verify::Case> cases() {
  std::vector<verify::Case> v;
  // Default tuning on small contexts gives 32-key chunks: input_pos 30 with S = 4 puts
  // the new rows in two chunks; 1000 + 1 a decode step over many chunks.
  v.push_back({1, 8, 2, 16, 1000, 1010});
  v.push_back({4, 6, 3, 16, 30, 40});
  v.push_back({2, 7, 1, 16, 62, 70});  // MQA, S*g = 14
  v.push_back({2, 6, 3, 16, 0, 2});    // the first step: only new rows
  verify::Case w{4, 8, 4, 16, 90, 100};
  w.window_left = 17;                  // window edge inside a chunk
  v.push_back(w);
  verify::Case nc{4, 4, 2, 16, 37, 50};
  nc.causal = false;
  v.push_back(nc);
  return v;
}

class SplitKvUpdate : public ::testing::TestWithParam<const char*> {};

TEST_P(SplitKvUpdate, MatchesReferenceAndLeavesTheWholeCacheRight) {
  UpdateMode mode(GetParam());
  Context& ctx = test_context();
  uint32_t seed = 5;
  for (const verify::Case& c : cases()) expect_case_passes(ctx, c, Algorithm::SplitKvDecode, DType::F32, ++seed);
  expect_case_passes(ctx, cases()[1], Algorithm::SplitKvDecode, DType::F16, ++seed);
}

INSTANTIATE_TEST_SUITE_P(Modes, SplitKvUpdate, ::testing::Values("fused", "separate"));

// The passes that ran: the fused mode drops the update pass; the separate one keeps it.
TEST(SplitKvUpdatePasses, FusedModeRunsNoUpdatePass) {
  Context& ctx = test_context();
  const uint32_t S = 1, Hq = 4, Hkv = 2, D = 8, pos = 40;
  std::mt19937 rng(3);
  KVCache cache(ctx, {64, Hkv, D});
  const auto q = Tensor::from(ctx, {S, Hq, D}, webattn::testing::randn(rng, S * Hq * D));
  const auto kn = Tensor::from(ctx, {S, Hkv, D}, webattn::testing::randn(rng, S * Hkv * D));
  const auto vn = Tensor::from(ctx, {S, Hkv, D}, webattn::testing::randn(rng, S * Hkv * D));
  Tensor out(ctx, {S, Hq, D});
  SdpaOptions opt;
  opt.algorithm = Algorithm::SplitKvDecode;
  opt.profile = true;
  const auto labels = [&](const char* mode) {
    UpdateMode m(mode);
    std::string s;
    for (const auto& st : Sdpa(ctx).forward(q, kn, vn, cache, pos, out, opt).stages) s += st.stage + ";";
    return s;
  };
  const std::string fused = labels("fused"), separate = labels("separate");
  EXPECT_EQ(fused.find("update_cache"), std::string::npos) << fused;
  EXPECT_NE(separate.find("update_cache"), std::string::npos) << separate;
  EXPECT_NE(fused.find("split_kv_decode"), std::string::npos) << fused;
}

TEST(SplitKvUpdatePasses, UnknownModeIsRefused) {
  UpdateMode m("sometimes");
  Context& ctx = test_context();
  EXPECT_NE(webattn::testing::error_of<UnsupportedError>([&] {
              verify::run_case(ctx, {1, 2, 1, 8, 3, 8}, Algorithm::SplitKvDecode, DType::F32, 1);
            }).find("WEBATTN_SPLIT_KV_UPDATE=sometimes"),
            std::string::npos);
}

}  // namespace
