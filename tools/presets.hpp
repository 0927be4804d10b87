// Named model shapes for `check` and `bench`.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace webattn::cli {

struct Preset {
  std::string name;
  uint32_t q_heads, kv_heads, head_dim;
  uint32_t layers;  // transformer layers: one KV cache each (bench --layers model)
};

inline const std::vector<Preset>& presets() {
  static const std::vector<Preset> all = {
      {"llama3-8b", 32, 8, 128, 32},
      {"llama3.2-1b", 32, 8, 64, 16},
  };
  return all;
}

const Preset& find_preset(const std::string& name);  // throws ShapeError listing the names

inline std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& p : presets()) names.push_back(p.name);
  return names;
}

}  // namespace webattn::cli
