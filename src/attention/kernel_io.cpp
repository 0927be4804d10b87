#include "attention/kernel_io.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>

#include "webattn/errors.hpp"

namespace webattn::attention {

namespace {

// The WGSL text with `//` comments blanked (same length, so offsets stay valid).
std::string without_comments(std::string_view wgsl) {
  std::string s(wgsl);
  for (size_t i = s.find("//"); i != std::string::npos; i = s.find("//", i)) {
    const size_t end = s.find('\n', i);
    std::fill(s.begin() + i, end == std::string::npos ? s.end() : s.begin() + end, ' ');
    i = end == std::string::npos ? s.size() : end;
  }
  return s;
}

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

size_t skip_space(const std::string& s, size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

std::string ident_at(const std::string& s, size_t i) {
  size_t j = i;
  while (j < s.size() && ident_char(s[j])) ++j;
  return s.substr(i, j - i);
}

}  // namespace

void check_params_wgsl(std::string_view wgsl) {
  const std::string s = without_comments(wgsl);
  const size_t at = s.find("struct Params");
  if (at == std::string::npos) throw Error("WGSL module has no `struct Params` to check against KernelParams");
  size_t i = s.find('{', at) + 1;
  const size_t end = s.find('}', i);
  struct Field {
    std::string name, type;
  };
  std::vector<Field> wgsl_fields;
  while (true) {
    i = skip_space(s, i);
    if (i >= end) break;
    const std::string name = ident_at(s, i);
    i = skip_space(s, i + name.size());
    if (name.empty() || s[i] != ':') throw Error("cannot parse `struct Params` near '" + s.substr(i, 20) + "'");
    i = skip_space(s, i + 1);
    const std::string type = ident_at(s, i);
    i = skip_space(s, i + type.size());
    if (s[i] == ',') ++i;
    wgsl_fields.push_back({name, type});
  }
  const std::vector<Field> cpp_fields = {
#define WEBATTN_PARAM_ENTRY(ctype, wtype, name, init) {#name, #wtype},
      WEBATTN_KERNEL_PARAMS(WEBATTN_PARAM_ENTRY)
#undef WEBATTN_PARAM_ENTRY
  };
  for (size_t k = 0; k < std::max(wgsl_fields.size(), cpp_fields.size()); ++k) {
    const auto str = [&](const std::vector<Field>& f) {
      return k < f.size() ? "'" + f[k].name + ": " + f[k].type + "'" : std::string("nothing");
    };
    if (k >= wgsl_fields.size() || k >= cpp_fields.size() || wgsl_fields[k].name != cpp_fields[k].name ||
        wgsl_fields[k].type != cpp_fields[k].type)
      throw Error("WGSL `struct Params` field " + std::to_string(k) + " is " + str(wgsl_fields) +
                  " but KernelParams (src/attention/kernel_params.hpp) has " + str(cpp_fields));
  }
}

std::vector<DeclaredBinding> declared_bindings(std::string_view wgsl) {
  const std::string s = without_comments(wgsl);
  std::vector<DeclaredBinding> out;
  for (size_t i = s.find("@binding("); i != std::string::npos; i = s.find("@binding(", i)) {
    i += 9;
    const auto index = static_cast<uint32_t>(std::stoul(s.substr(i)));
    size_t v = s.find("var", i);
    if (v == std::string::npos) break;
    v += 3;
    if (s[v] == '<') v = s.find('>', v) + 1;
    v = skip_space(s, v);
    out.push_back({index, ident_at(s, v)});
    i = v;
  }
  return out;
}

PreparedPass make_pass(gpu::Device& device, const gpu::ShaderSpec& spec, const std::vector<NamedBinding>& named,
                       std::function<gpu::Grid(KernelParams&)> fill, const std::vector<gpu::Binding>& numbered) {
  const std::string source = spec.source();
  if (source.find("struct Params") != std::string::npos) {
    // The preludes are embedded at build time: one check per process suffices.
    static std::once_flag checked;
    std::call_once(checked, [&] { check_params_wgsl(source); });
  }
  const auto declared = declared_bindings(source);
  PreparedPass pass;
  pass.label = spec.kernel;
  pass.fill = std::move(fill);
  for (const auto& nb : named) {
    const auto it = std::find_if(declared.begin(), declared.end(), [&](const auto& d) { return d.var == nb.var; });
    if (it == declared.end())
      throw Error("kernel '" + spec.kernel + "' declares no binding named '" + nb.var + "'");
    pass.bindings.push_back({it->index, nb.buffer, nb.offset, nb.size});
  }
  pass.bindings.insert(pass.bindings.end(), numbered.begin(), numbered.end());
  std::multiset<uint32_t> bound;
  for (const auto& b : pass.bindings) bound.insert(b.index);
  for (uint32_t index : bound)
    if (std::none_of(declared.begin(), declared.end(), [&](const auto& d) { return d.index == index; }))
      throw Error("kernel '" + spec.kernel + "' declares no binding " + std::to_string(index));
  for (const auto& d : declared) {
    if (d.index == 0) continue;  // the uniform parameters, bound by the Recorder
    if (bound.count(d.index) != 1)
      throw Error("kernel '" + spec.kernel + "': binding " + std::to_string(d.index) + " ('" + d.var + "') is bound " +
                  std::to_string(bound.count(d.index)) + " times, expected once");
  }
  pass.pipeline = &device.pipelines().get(spec);
  return pass;
}

}  // namespace webattn::attention
