#include "attention/kernel_io.hpp"

#include <algorithm>
#include <cctype>
#include <map>
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

// Integer constant expressions of WGSL (literals, consts, + - * / %, parentheses, max and min), as
// the kernels write their array extents.
class ConstEval {
 public:
  explicit ConstEval(const std::string& src) {
    for (const char* kw : {"const ", "override "})
      for (size_t i = src.find(kw); i != std::string::npos; i = src.find(kw, i + 1)) {
        if (i > 0 && ident_char(src[i - 1])) continue;
        size_t j = skip_space(src, i + std::string(kw).size());
        const std::string name = ident_at(src, j);
        const size_t eq = src.find('=', j), semi = src.find(';', j);
        if (name.empty() || eq == std::string::npos || semi == std::string::npos || eq > semi) continue;
        defs_.emplace(name, src.substr(eq + 1, semi - eq - 1));  // the first definition wins
      }
  }
  uint64_t value(const std::string& expr) {
    const size_t first = skip_space(expr, 0), last = expr.find_last_not_of(" \t\n");
    text_ = first < expr.size() ? expr.substr(first, last + 1 - first) : "";
    pos_ = 0;
    const uint64_t v = sum();
    if (skip_space(text_, pos_) != text_.size()) fail();
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& why = "") const {
    throw Error("cannot evaluate the WGSL constant expression '" + text_ + "'" + why);
  }
  char peek() {
    pos_ = skip_space(text_, pos_);
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  uint64_t sum() {
    uint64_t v = product();
    for (char c = peek(); c == '+' || c == '-'; c = peek()) {
      ++pos_;
      const uint64_t r = product();
      v = c == '+' ? v + r : v - r;
    }
    return v;
  }
  uint64_t product() {
    uint64_t v = atom();
    for (char c = peek(); c == '*' || c == '/' || c == '%'; c = peek()) {
      ++pos_;
      const uint64_t r = atom();
      if (c != '*' && r == 0) fail();
      v = c == '*' ? v * r : c == '/' ? v / r : v % r;
    }
    return v;
  }
  uint64_t atom() {
    const char c = peek();
    if (c == '(') {
      ++pos_;
      const uint64_t v = sum();
      if (peek() != ')') fail();
      ++pos_;
      return v;
    }
    const std::string tok = ident_at(text_, pos_);
    if (tok.empty()) fail();
    pos_ += tok.size();
    if ((tok == "max" || tok == "min") && peek() == '(') {  // the builtins, as a kernel may size a shared region
      ++pos_;
      const uint64_t a = sum();
      if (peek() != ',') fail();
      ++pos_;
      const uint64_t b = sum();
      if (peek() != ')') fail();
      ++pos_;
      return tok == "max" ? std::max(a, b) : std::min(a, b);
    }
    if (std::isdigit(static_cast<unsigned char>(tok[0]))) {
      size_t used = 0;
      const uint64_t v = std::stoull(tok, &used);
      if (tok.substr(used) != "" && tok.substr(used) != "u" && tok.substr(used) != "i") fail();
      return v;
    }
    const auto it = defs_.find(tok);
    if (it == defs_.end()) fail(": no constant named '" + tok + "'");
    if (depth_ > 32) fail(": definitions nested too deep");
    ConstEval inner = *this;  // the definition, evaluated on its own
    ++inner.depth_;
    const uint64_t v = inner.value(it->second);
    return v;
  }
  std::map<std::string, std::string> defs_;
  std::string text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

// Bytes of a WGSL storable type: scalars, vecN<T>, nested arrays.
uint64_t type_bytes(const std::string& type, ConstEval& eval) {
  const std::string t = type.substr(0, type.find_last_not_of(' ') + 1);
  if (t == "f32" || t == "u32" || t == "i32" || t == "atomic<u32>" || t == "atomic<i32>") return 4;
  if (t == "f16") return 2;
  if (t.rfind("vec", 0) == 0 && t.size() > 5 && t[4] == '<') {
    const uint64_t n = t[3] - '0', elem = type_bytes(t.substr(5, t.size() - 6), eval);
    return (n == 3 ? 4 : n) * elem;
  }
  if (t.rfind("array<", 0) == 0) {
    int depth = 0;
    for (size_t i = 6; i < t.size(); ++i) {
      if (t[i] == '<') ++depth;
      if (t[i] == '>') --depth;
      if (t[i] == ',' && depth == 0)
        return type_bytes(t.substr(6, i - 6), eval) * eval.value(t.substr(i + 1, t.size() - i - 2));
    }
  }
  throw Error("workgroup memory: unknown WGSL type '" + t + "'");
}

}  // namespace

uint64_t workgroup_bytes(std::string_view wgsl) {
  const std::string s = without_comments(wgsl);
  ConstEval eval(s);
  uint64_t total = 0;
  for (size_t i = s.find("var<workgroup>"); i != std::string::npos; i = s.find("var<workgroup>", i)) {
    const size_t colon = s.find(':', i), semi = s.find(';', i);
    if (colon == std::string::npos || semi == std::string::npos || colon > semi)
      throw Error("workgroup memory: cannot parse '" + s.substr(i, 40) + "'");
    total += type_bytes(s.substr(skip_space(s, colon + 1), semi - skip_space(s, colon + 1)), eval);
    i = semi;
  }
  return total;
}

uint64_t workgroup_bytes(const gpu::ShaderSpec& spec) {
  static std::mutex mutex;
  static std::map<std::string, uint64_t> known;
  const std::string key = spec.key();
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (const auto it = known.find(key); it != known.end()) return it->second;
  }
  const uint64_t bytes = workgroup_bytes(spec.source());
  std::lock_guard<std::mutex> lock(mutex);
  return known[key] = bytes;
}

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
