// Reading the per-adapter JSON files (tuning, ceilings): one rule for both.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace webattn {

// The JSON in `path` ({} where no file is there). A folder, an unreadable file or malformed JSON is a
// ConfigError naming `what` (e.g. "tuning file"), the path and, for a folder, the variable `env_var`.
nlohmann::json read_json_file(const std::string& path, const char* what, const char* env_var);

}  // namespace webattn
