// The algorithm table and what is declared once: KernelParams against the WGSL struct,
// binding numbers read from the kernels, head-dim limits as the README states them.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "attention/algorithm.hpp"
#include "attention/kernel_io.hpp"
#include "gpu/pipeline.hpp"
#include "test_context.hpp"
#include "webattn/webattn.hpp"

using namespace webattn;

namespace {

std::string attention_params() { return std::string(gpu::kernel_source("attention_params")); }

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? s : s.replace(at, from.size(), to);
}

using webattn::testing::error_of;

}  // namespace

TEST(Algorithms, ParamsStructMatchesTheWgslFieldByField) {
  EXPECT_NO_THROW(attention::check_params_wgsl(attention_params()));
  // Same size, two fields swapped: a size check alone would pass.
  const std::string swapped = replaced(replaced(attention_params(), "q_heads: u32", "XX"), "kv_heads: u32", "q_heads: u32");
  auto msg = error_of([&] { attention::check_params_wgsl(replaced(swapped, "XX", "kv_heads: u32")); });
  EXPECT_NE(msg.find("field 1 is 'kv_heads: u32' but KernelParams"), std::string::npos) << msg;
  msg = error_of([&] { attention::check_params_wgsl(replaced(attention_params(), "scale: f32", "scale: u32")); });
  EXPECT_NE(msg.find("'scale: u32'"), std::string::npos) << msg;
  msg = error_of(
      [&] { attention::check_params_wgsl(replaced(attention_params(), "mask_stride: u32,", "mask_stride: u32, extra: u32,")); });
  EXPECT_NE(msg.find("field 15 is 'extra: u32' but KernelParams (src/attention/kernel_params.hpp) has nothing"),
            std::string::npos)
      << msg;
}

TEST(Algorithms, BindingNumbersAreReadFromTheKernel) {
  const auto bindings_of = [](std::string_view wgsl) {
    std::vector<std::pair<uint32_t, std::string>> got;
    for (const auto& d : attention::declared_bindings(wgsl)) got.emplace_back(d.index, d.var);
    return got;
  };
  using Want = std::vector<std::pair<uint32_t, std::string>>;
  EXPECT_EQ(bindings_of(gpu::kernel_source("update_cache")),
            (Want{{1, "k_new"}, {2, "v_new"}, {3, "k_cache"}, {4, "v_cache"}}));
  // flash-prefill's caches are declared by its launcher (read-only, or read_write with the update fused).
  EXPECT_EQ(bindings_of(gpu::kernel_source("flash_prefill")), (Want{{1, "q"}, {4, "out"}}));
  // Comments do not count, and `var<uniform>` declarations are read too.
  const auto p = attention::declared_bindings("// @binding(7) var x: u32;\n@group(0) @binding(0) var<uniform> p: Params;");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].var, "p");
}

TEST(Algorithms, TheTableNamesEveryExplicitAlgorithmOnce) {
  const auto& table = attention::algorithm_table();
  EXPECT_EQ(table.size(), all_algorithms().size());
  for (const auto* e : table) {
    EXPECT_EQ(algorithm_from_string(e->name), e->id);
    EXPECT_STREQ(to_string(e->id), e->name);
    EXPECT_EQ(&attention::algorithm_entry(e->id), e);
  }
  EXPECT_THROW(attention::algorithm_entry(Algorithm::Auto), ShapeError);
  EXPECT_THROW(attention::algorithm_entry(static_cast<Algorithm>(99)), ShapeError);
}

namespace {
// The largest head dim (a multiple of 4, up to 1024) `algo` supports at S = rows, Hq = Hkv = 1,
// on a device with `workgroup_bytes` of workgroup memory.
uint32_t largest_head_dim(Algorithm algo, uint32_t rows, uint32_t workgroup_bytes) {
  AdapterSummary dev;
  dev.limits.max_compute_workgroup_storage_size = workgroup_bytes;
  dev.limits.max_storage_buffer_binding_size = 1ull << 27;
  dev.limits.max_storage_buffers_per_shader_stage = 8;  // WebGPU's default: every pass here binds at most 5
  dev.limits.max_compute_workgroups_per_dimension = 65535;
  uint32_t best = 0;
  for (uint32_t d = 4; d <= 1024; d += 4) {
    const attention::CallShape shape{rows, 1, {64, 1, d}, 64, 64};
    attention::Settings st;
    st.split_kv_workgroups = 1024;
    if (attention::algorithm_entry(algo).supports(shape, st, dev).empty()) best = d;
  }
  return best;
}

std::string readme() {
  std::ifstream in(std::string(WEBATTN_SOURCE_DIR) + "/README.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

// The README's head-dim table is what the algorithm table accepts: one row per workgroup
// memory size, flash-prefill then split-kv by query rows per kv head (S x Hq/Hkv, padded
// to a power of two by the kernel).
TEST(Algorithms, ReadmeHeadDimLimitsAreTheTables) {
  const std::string text = readme();
  for (const auto& [bytes, device] : {std::pair<uint32_t, const char*>{32768, "32 KiB (lavapipe)"},
                                      {49152, "48 KiB (H100, H200)"}}) {
    std::ostringstream row;
    row << "| " << device << " | " << largest_head_dim(Algorithm::FlashPrefill, 64, bytes) << " |";
    for (uint32_t rows : {1u, 2u, 4u, 8u, 16u, 32u})
      row << " " << largest_head_dim(Algorithm::SplitKvDecode, rows, bytes) << " |";
    EXPECT_NE(text.find(row.str()), std::string::npos) << "README.md lacks the row\n" << row.str();
    for (Algorithm tp : {Algorithm::ThreePassStrided, Algorithm::ThreePassCoalesced})
      EXPECT_EQ(largest_head_dim(tp, 64, bytes), 1024u) << to_string(tp) << " takes any head dim";
  }
}

// Launchers ask the kernels' WGSL for their workgroup memory instead of mirroring it.
TEST(Algorithms, WorkgroupMemoryIsReadFromTheKernel) {
  const std::string wgsl =
      "const A: u32 = 4u;\nconst B = (A + 1u) * 2u;  // 10\n"
      "var<workgroup> x: array<vec4<f32>, A * B>;\nvar<workgroup> y: f32;\n"
      "var<workgroup> z: array<array<vec2<f32>, 3u>, B % 3u>;\n// var<workgroup> w: array<f32, 99>;\n";
  EXPECT_EQ(attention::workgroup_bytes(wgsl), 4u * 10 * 16 + 4 + 3 * 8 * 1);
  auto msg = error_of([] { attention::workgroup_bytes("var<workgroup> x: array<f32, NOPE>;"); });
  EXPECT_NE(msg.find("'NOPE'"), std::string::npos) << msg;
}
