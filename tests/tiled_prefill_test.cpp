// flash-prefill-tiled at every tile shape its tunables offer (rows 64/128 x keys 32/64/128 x
// head-dim chunk 4/8/16; where the device's workgroup memory cannot hold a shape the launcher
// falls back to single buffers or a smaller tile, which these cases then check), on odd
// shapes: head dims not a multiple of the chunk, GQA 3 and 7, row counts around the 64- and
// 128-row tiles, chunks at input_pos > 0, windows straddling key tiles, every variant,
// and a sum over 4097+ keys. The table-driven suites run it on the rest.
#include <gtest/gtest.h>

#include <tuple>

#include "attention/algorithm.hpp"
#include "test_context.hpp"
#include "webattn/verify.hpp"
#include "webattn/webattn.hpp"

using namespace webattn;
using verify::Case;

namespace {

Context& ctx() { return webattn::testing::test_context(); }

void expect_close(const Case& c, DType dtype, uint32_t seed, const Tuning& tune, const std::string& what) {
  const verify::Result r = verify::run_case(ctx(), c, Algorithm::FlashPrefillTiled, dtype, seed, &tune);
  const auto tol = verify::tolerance(dtype, verify::score_gain(c));
  EXPECT_EQ(r.ran, Algorithm::FlashPrefillTiled) << what;
  EXPECT_TRUE(r.cache_exact) << what << " " << c.str();
  EXPECT_EQ(r.cmp.nonfinite, 0u) << what << " " << c.str() << ": output unwritten or non-finite";
  EXPECT_LE(r.cmp.max_abs, tol.max_abs) << what << " " << c.str();
  EXPECT_LE(r.cmp.rel_l2, tol.rel_l2) << what << " " << c.str();
  if (c.lse) {
    EXPECT_LE(r.lse_cmp.max_abs, tol.max_abs) << what << " lse " << c.str();
  }
}

Tuning shape(uint32_t rows, uint32_t keys, uint32_t dchunk) {
  Tuning t;
  t.tiled_rows = rows;
  t.tiled_keys = keys;
  t.tiled_dchunk = dchunk;
  return t;
}

std::string name(const Tuning& t) {
  return "rows " + std::to_string(t.tiled_rows) + " keys " + std::to_string(t.tiled_keys) + " dchunk " +
         std::to_string(t.tiled_dchunk);
}

}  // namespace

class TiledShapes : public ::testing::TestWithParam<std::tuple<uint32_t, uint32_t, uint32_t>> {};

// Each shape on one chunk: S=43 x g=3 = 129 rows (one past a 128-row tile), D=20 (5 vec4s:
// a partial last chunk for dchunk 8 and 16), at input_pos 17 so the diagonal crosses tiles.
// One test per shape: lavapipe compiles each in tens of seconds, so ctest spreads them.
TEST_P(TiledShapes, OddChunkMatchesFloat64) {
  const auto [rows, keys, dchunk] = GetParam();
  const Tuning t = shape(rows, keys, dchunk);
  expect_close({43, 6, 2, 20, 17, 64}, DType::F32, 7100 + rows + keys + dchunk, t, name(t));
}

INSTANTIATE_TEST_SUITE_P(TiledPrefill, TiledShapes,
                         ::testing::Combine(::testing::Values(64u, 128u), ::testing::Values(32u, 64u, 128u),
                                            ::testing::Values(4u, 8u, 16u)),
                         [](const auto& info) {
                           return "rows" + std::to_string(std::get<0>(info.param)) + "_keys" +
                                  std::to_string(std::get<1>(info.param)) + "_dchunk" +
                                  std::to_string(std::get<2>(info.param));
                         });

// The default tile on the shapes and variants the kernel must serve (the table-driven
// suites add head dims 4/12/132/256, GQA 3/5/7, windows, sinks and lse at other shapes).
TEST(TiledPrefill, OddShapesAndVariants) {
  std::vector<std::pair<Case, DType>> cases = {
      {{64, 7, 1, 12, 0, 64}, DType::F32},         // GQA 7, 448 rows, D=12
      {{65, 3, 1, 132, 0, 70}, DType::F32},        // g=3, D=132 (33 vec4s: past two 16-wide column groups)
      {{50, 4, 2, 80, 7, 60, false}, DType::F16},  // non-causal, f16 cache
  };
  Case capped{33, 6, 2, 20, 40, 80};
  capped.softcap = 5;
  capped.scale = 1.5f;
  Case sinks{40, 6, 3, 16, 9, 49};
  sinks.sinks = {0.5f, -3.f, 8.f, 1.f, 40.f, -1.f};
  sinks.lse = true;
  cases.push_back({capped, DType::F32});
  cases.push_back({sinks, DType::F32});
  Case window{70, 6, 2, 8, 150, 230};  // windows straddling 32-, 64- and 128-key tiles
  for (uint32_t w : {31u, 65u, 129u}) {
    window.window_left = w;
    cases.push_back({window, DType::F32});
  }
  uint32_t seed = 7200;
  for (const auto& [c, dtype] : cases) expect_close(c, dtype, seed++, Tuning{}, std::string("default tile ") + to_string(dtype));
}

// The 128-row tile at llama's head dim (two output vec4s per thread and row), which the
// default picks for long prompts only: a chunk of 280 rows (g=4) across the diagonal.
TEST(TiledPrefill, WideTileAtHeadDim128) {
  uint32_t seed = 7250;
  for (DType dtype : {DType::F32, DType::F16})
    expect_close({70, 8, 2, 128, 30, 110}, dtype, seed++, shape(128, 64, 16), "rows 128 keys 64 dchunk 16");
}

// A chunk whose rows sum over 4097 to 4160 keys (long two-level sums), both tile widths.
TEST(TiledPrefill, LongSumsInAChunk) {
  uint32_t seed = 7300;
  for (const Tuning& t : {Tuning{}, shape(64, 32, 4)})
    expect_close({64, 4, 2, 20, 4033, 4100}, DType::F32, seed++, t, name(t));
}

// The tunables are validated like every option.
TEST(TiledPrefill, TileTunablesOutsideTheirSetsAreRefused) {
  SdpaOptions o;
  o.tiled_keys = 48;
  try {
    attention::resolve_settings(o, Tuning{}, {64, 2, 8}, false);
    ADD_FAILURE() << "tiled_keys 48 accepted";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("tiled_keys 48 is not allowed; allowed: 0 (the Sdpa's tuning), 32, 64, 128"),
              std::string::npos)
        << e.what();
  }
  Tuning t;
  t.tiled_rows = 96;
  EXPECT_THROW(attention::validate_tuning(t), ShapeError);
  t = shape(0, 0, 12);
  EXPECT_THROW(attention::validate_tuning(t), ShapeError);
}
