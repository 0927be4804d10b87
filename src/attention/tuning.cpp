// Per-adapter tuning file (JSON): { "<device>|<backend>|<driver>": {"split_kv_workgroups": N, ...} }.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "attention/algorithm.hpp"
#include "webattn/attention.hpp"
#include "webattn/errors.hpp"

namespace webattn {

std::string tuning_path() {
  if (const char* f = std::getenv("WEBATTN_TUNING_FILE"); f && *f) return f;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/webattn/tuning.json";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/webattn/tuning.json";
  return "webattn-tuning.json";
}

std::string tuning_key(const AdapterSummary& a) { return a.device + "|" + a.backend + "|" + a.description; }

namespace {
nlohmann::json read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error("tuning file " + path + " is not valid JSON: " + e.what());
  }
}
}  // namespace

Tuning load_tuning(const std::string& path, const AdapterSummary& adapter) {
  Tuning t;
  const auto all = read_file(path);
  const auto it = all.find(tuning_key(adapter));
  if (it == all.end()) return t;
  try {
    t.split_kv_workgroups = it->value("split_kv_workgroups", t.split_kv_workgroups);
    t.flash_keys_per_tile = it->value("flash_keys_per_tile", t.flash_keys_per_tile);
    t.native_f16 = it->value("native_f16", t.native_f16);
    t.flash_threads_x = it->value("flash_threads_x", t.flash_threads_x);
    t.flash_workgroup_threads = it->value("flash_workgroup_threads", t.flash_workgroup_threads);
    t.tiled_rows = it->value("tiled_rows", t.tiled_rows);
    t.tiled_keys = it->value("tiled_keys", t.tiled_keys);
    t.tiled_dchunk = it->value("tiled_dchunk", t.tiled_dchunk);
  } catch (const nlohmann::json::exception& e) {
    throw Error("tuning file " + path + ", entry '" + tuning_key(adapter) + "': " + e.what());
  }
  try {
    attention::validate_tuning(t);
  } catch (const ShapeError& e) {
    throw Error("tuning file " + path + ", entry '" + tuning_key(adapter) + "': " + e.what());
  }
  return t;
}

void save_tuning(const std::string& path, const AdapterSummary& adapter, const Tuning& t) {
  auto all = read_file(path);
  all[tuning_key(adapter)] = {{"split_kv_workgroups", t.split_kv_workgroups},
                              {"flash_keys_per_tile", t.flash_keys_per_tile},
                              {"flash_threads_x", t.flash_threads_x},
                              {"flash_workgroup_threads", t.flash_workgroup_threads},
                              {"tiled_rows", t.tiled_rows},
                              {"tiled_keys", t.tiled_keys},
                              {"tiled_dchunk", t.tiled_dchunk},
                              {"native_f16", t.native_f16}};
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  std::ofstream out(path);
  if (!out) throw Error("cannot write tuning file " + path);
  out << all.dump(2) << "\n";
}

}  // namespace webattn
