// The per-adapter tuning file: round trip, what Sdpa loads, clear errors.
#include <gtest/gtest.h>

#include "test_context.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "webattn/webattn.hpp"

using namespace webattn;

namespace {
Context& ctx() { return webattn::testing::test_context(); }
std::string temp_file(const char* name) { return ::testing::TempDir() + name; }
}  // namespace

TEST(Tuning, AbsentFileGivesDefaults) {
  Tuning t = load_tuning(temp_file("no-such-tuning.json"), ctx().adapter());
  EXPECT_EQ(t.split_kv_workgroups, Tuning{}.split_kv_workgroups);
  EXPECT_EQ(t.flash_keys_per_tile, 0u);
}

TEST(Tuning, SaveThenLoadPerAdapterKeepsOtherEntries) {
  const std::string path = temp_file("tuning-roundtrip.json");
  std::remove(path.c_str());
  AdapterSummary other = ctx().adapter();
  other.device = "Some Other GPU";
  save_tuning(path, other, {333, 16});
  Tuning mine{777, 32};
  mine.flash_threads_x = 16;
  mine.flash_workgroup_threads = 128;
  save_tuning(path, ctx().adapter(), mine);
  const Tuning back = load_tuning(path, ctx().adapter());
  EXPECT_EQ(back.split_kv_workgroups, 777u);
  EXPECT_EQ(back.flash_keys_per_tile, 32u);
  EXPECT_EQ(back.flash_threads_x, 16u);
  EXPECT_EQ(back.flash_workgroup_threads, 128u);
  EXPECT_EQ(load_tuning(path, other).split_kv_workgroups, 333u);
}

TEST(Tuning, SdpaReadsTheFileNamedByTheEnvironment) {
  const std::string path = temp_file("tuning-env.json");
  std::remove(path.c_str());
  save_tuning(path, ctx().adapter(), {4242, 48});
  setenv("WEBATTN_TUNING_FILE", path.c_str(), 1);
  Sdpa sdpa(ctx());
  unsetenv("WEBATTN_TUNING_FILE");
  EXPECT_EQ(sdpa.tuning().split_kv_workgroups, 4242u);
  EXPECT_EQ(sdpa.tuning().flash_keys_per_tile, 48u);
}

TEST(Tuning, MalformedFileIsAClearError) {
  const std::string path = temp_file("tuning-bad.json");
  std::ofstream(path) << "{ not json";
  try {
    load_tuning(path, ctx().adapter());
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {  // a bad setting (the CLI's exit 2), not a GPU error
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

// A saved tunable outside its allowed set is refused when read, naming the file and value.
TEST(Tuning, TunableOutsideItsSetInTheFileIsAClearError) {
  const std::string path = temp_file("tuning-bad-value.json");
  std::remove(path.c_str());
  save_tuning(path, ctx().adapter(), {1024, 17});
  const std::string msg = webattn::testing::error_of([&] { load_tuning(path, ctx().adapter()); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("flash_keys_per_tile 17 is not allowed"), std::string::npos) << msg;
}

// Numbers in the file are whole counts in u32's range: nlohmann's value<uint32_t> had wrapped 2^32 + 1 to 1,
// truncated 1.5 to 1 and shown -5 as 4294967291 (a helper's finding); a folder for a file threw
// std::ios_base::failure (the CLI's "unexpected error", exit 5).
TEST(Tuning, NumbersOutOfRangeAndFoldersAreConfigErrors) {
  const std::string path = temp_file("tuning-range.json");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"4294967297", "split_kv_workgroups 4294967297 is not a whole number from 0 to 4294967295"},
      {"1.5", "split_kv_workgroups 1.5 is not a whole number"},
      {"-5", "split_kv_workgroups -5 is not a whole number"},
      {"\"64\"", "split_kv_workgroups \"64\" is not a whole number"},
  };
  for (const auto& [value, want] : bad) {
    std::ofstream(path) << "{\"" << tuning_key(ctx().adapter()) << "\": {\"split_kv_workgroups\": " << value << "}}";
    try {
      load_tuning(path, ctx().adapter());
      ADD_FAILURE() << value << " accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  std::ofstream(path) << "{\"" << tuning_key(ctx().adapter()) << "\": {\"native_f16\": 1}}";
  EXPECT_THROW(load_tuning(path, ctx().adapter()), ConfigError);
  std::ofstream(path) << "{\"" << tuning_key(ctx().adapter()) << "\": {\"split_kv_workgroups\": 65536}}";
  EXPECT_EQ(load_tuning(path, ctx().adapter()).split_kv_workgroups, 65536u);
  const std::string dir = temp_file("tuning-folder");
  std::filesystem::create_directories(dir);
  const std::string msg = webattn::testing::error_of([&] { load_tuning(dir, ctx().adapter()); });
  EXPECT_NE(msg.find("tuning file " + dir + " is a folder, not a file"), std::string::npos) << msg;
  EXPECT_THROW(load_tuning(dir, ctx().adapter()), ConfigError);
}
