// Saved ceilings: what `webattn probe` writes, bench and tune read back per adapter.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "webattn/errors.hpp"
#include "webattn/probe.hpp"

using namespace webattn;

namespace {
std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("webattn-" + std::to_string(getpid()) + "-" + name)).string();
}

ProbeResult sample() {
  ProbeResult r;
  r.copy.rate = r.copy_gbps = 4067;
  r.read.kind = CeilingKind::Read;
  r.read.items = 4;
  r.read.workgroups = 1024;
  r.read.rate = r.read_gbps = 4400;
  r.fma.kind = CeilingKind::Fma;
  r.fma.width = 1;
  r.fma.workgroups = 8192;
  r.fma.iterations = 900;
  r.fma.rate = r.fma_gflops = 59400;
  r.tried = {r.copy, r.read, r.fma};
  r.buffer_bytes = 256 << 20;
  r.repeats = 10;
  r.measured_at = "2026-11-29T16:00:00Z";
  return r;
}
}  // namespace

TEST(Ceilings, SavedPerAdapterAndReadBack) {
  const std::string path = temp_file("ceilings.json");
  AdapterSummary a, b;
  a.device = "GPU A";
  b.device = "GPU B";
  save_ceilings(path, a, sample());
  EXPECT_FALSE(load_ceilings(path, b).has_value()) << "another adapter's figures must not be used";
  const auto r = load_ceilings(path, a);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->copy_gbps, 4067);
  EXPECT_EQ(r->read_gbps, 4400);
  EXPECT_EQ(r->fma_gflops, 59400);
  EXPECT_EQ(r->read.describe(), "vec4, 4 per thread, grid-stride over 1024 workgroups, WG 256");
  EXPECT_EQ(r->fma.describe(), "scalar, 8 chains, unroll x4, 8192 workgroups of 256, 900 iterations");
  EXPECT_EQ(r->tried.size(), 3u);
  EXPECT_EQ(r->measured_at, "2026-11-29T16:00:00Z");
  std::filesystem::remove(path);
}

TEST(Ceilings, MalformedFileIsAnErrorNamingIt) {
  const std::string path = temp_file("bad-ceilings.json");
  std::ofstream(path) << "{ not json";
  try {
    load_ceilings(path, AdapterSummary{});
    FAIL() << "malformed JSON accepted";
  } catch (const ConfigError& e) {  // a bad setting (the CLI's exit 2), not a GPU error
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::ofstream(path) << R"({"||": {"copy_gbps": 1}})";  // the empty adapter's key, fields missing
  try {
    load_ceilings(path, AdapterSummary{});
    FAIL() << "an incomplete entry accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("webattn probe"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
  // A folder (read, it threw std::ios_base::failure: "unexpected error", exit 5).
  const std::string dir = temp_file("ceilings-folder");
  std::filesystem::create_directories(dir);
  try {
    load_ceilings(dir, AdapterSummary{});
    FAIL() << "a folder accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("ceilings file " + dir + " is a folder, not a file"), std::string::npos)
        << e.what();
  }
}

TEST(Ceilings, PathFollowsTheTuningFile) {
  // The environment is restored afterwards: other tests read these variables.
  std::vector<std::pair<const char*, std::optional<std::string>>> saved;
  for (const char* name : {"WEBATTN_TUNING_FILE", "WEBATTN_CEILINGS_FILE"}) {
    const char* v = std::getenv(name);
    saved.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
  }
  unsetenv("WEBATTN_CEILINGS_FILE");
  setenv("WEBATTN_TUNING_FILE", "/some/dir/tuning.json", 1);
  EXPECT_EQ(ceilings_path(), "/some/dir/ceilings.json");
  setenv("WEBATTN_CEILINGS_FILE", "/elsewhere/c.json", 1);
  EXPECT_EQ(ceilings_path(), "/elsewhere/c.json");
  for (const auto& [name, value] : saved)
    value ? setenv(name, value->c_str(), 1) : unsetenv(name);
}
