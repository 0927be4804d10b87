// Per-adapter tuning file (JSON): { "<device>|<backend>|<driver>": {"split_kv_workgroups": N, ...} }.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "attention/algorithm.hpp"
#include "json_file.hpp"
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
nlohmann::json read_file(const std::string& path) { return read_json_file(path, "tuning file", "WEBATTN_TUNING_FILE"); }

// An entry's count: a whole number from 0 to 2^32 - 1 (nlohmann's value<uint32_t> wraps 2^32 + 1 to 1,
// truncates 1.5 and shows -5 as 4294967291).
uint32_t count_of(const nlohmann::json& entry, const char* name, uint32_t fallback) {
  const auto it = entry.find(name);
  if (it == entry.end()) return fallback;
  if (!it->is_number_unsigned() || it->get<uint64_t>() > UINT32_MAX)
    throw ConfigError(std::string(name) + " " + it->dump() + " is not a whole number from 0 to 4294967295");
  return it->get<uint32_t>();
}
}  // namespace

Tuning load_tuning(const std::string& path, const AdapterSummary& adapter) {
  Tuning t;
  const auto all = read_file(path);
  const auto it = all.find(tuning_key(adapter));
  if (it == all.end()) return t;
  try {
    if (!it->is_object()) throw ConfigError("not a JSON object: " + it->dump());
    t.split_kv_workgroups = count_of(*it, "split_kv_workgroups", t.split_kv_workgroups);
    t.flash_keys_per_tile = count_of(*it, "flash_keys_per_tile", t.flash_keys_per_tile);
    if (const auto f = it->find("native_f16"); f != it->end()) {
      if (!f->is_boolean()) throw ConfigError("native_f16 " + f->dump() + " is not true or false");
      t.native_f16 = f->get<bool>();
    }
    t.flash_threads_x = count_of(*it, "flash_threads_x", t.flash_threads_x);
    t.flash_workgroup_threads = count_of(*it, "flash_workgroup_threads", t.flash_workgroup_threads);
    t.tiled_rows = count_of(*it, "tiled_rows", t.tiled_rows);
    t.tiled_keys = count_of(*it, "tiled_keys", t.tiled_keys);
    t.tiled_dchunk = count_of(*it, "tiled_dchunk", t.tiled_dchunk);
    attention::validate_tuning(t);
  } catch (const std::exception& e) {
    throw ConfigError("tuning file " + path + ", entry '" + tuning_key(adapter) + "': " + e.what());
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

nlohmann::json read_json_file(const std::string& path, const char* what, const char* env_var) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(std::string(what) + " " + path + " is a folder, not a file (set $" + env_var + " to a file)");
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {  // a parse error, or a read failure (std::ios_base::failure)
    throw ConfigError(std::string(what) + " " + path + " is not valid JSON: " + e.what());
  }
}

}  // namespace webattn
