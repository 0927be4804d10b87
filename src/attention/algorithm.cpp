// The algorithm table and what reads it generically: names, option checks, Auto's choice,
// parameter filling and encoding of prepared passes.
#include "attention/algorithm.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "attention/launch.hpp"

namespace webattn::attention {

// Each launcher defines its entry.
extern const AlgorithmEntry three_pass_strided_entry, three_pass_coalesced_entry, flash_prefill_entry,
    split_kv_entry, flash_prefill_tiled_entry;

const std::vector<const AlgorithmEntry*>& algorithm_table() {
  static const std::vector<const AlgorithmEntry*> table = {&three_pass_strided_entry, &three_pass_coalesced_entry,
                                                           &flash_prefill_entry, &split_kv_entry,
                                                           &flash_prefill_tiled_entry};
  return table;
}

namespace {
std::string algorithm_names() {
  std::string names = "auto";
  for (const AlgorithmEntry* e : algorithm_table()) names += std::string(", ") + e->name;
  return names;
}

const AlgorithmEntry* find_entry(Algorithm a) {
  for (const AlgorithmEntry* e : algorithm_table())
    if (e->id == a) return e;
  return nullptr;
}

// ShapeError unless `value` is one of `allowed` (the message lists them; 0 explained by `zero`).
void expect_one_of(const char* what, uint32_t value, std::initializer_list<uint32_t> allowed, const char* zero) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
  std::string list;
  for (uint32_t a : allowed) list += (list.empty() ? "" : ", ") + (a == 0 ? "0 (" + std::string(zero) + ")" : std::to_string(a));
  throw ShapeError(std::string(what) + " " + std::to_string(value) + " is not allowed; allowed: " + list);
}

constexpr uint32_t kMaxSplitKvWorkgroups = 65536;

void expect_workgroups(const char* what, uint32_t value, const char* zero_means) {
  if (value <= kMaxSplitKvWorkgroups) return;
  throw ShapeError(std::string(what) + " " + std::to_string(value) + " is not allowed; allowed: 0 (" + zero_means +
                   ") or 1 to " + std::to_string(kMaxSplitKvWorkgroups));
}

// A WGSL f32 literal of exactly x (finite): C's hex float with the `f` suffix.
std::string fmt_hex_float(float x) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%af", static_cast<double>(x));
  return buf;
}
}  // namespace

const AlgorithmEntry& algorithm_entry(Algorithm a) {
  if (const AlgorithmEntry* e = find_entry(a)) return *e;
  throw ShapeError("algorithm " + std::to_string(static_cast<int>(a)) + " is not an explicit algorithm; expected " +
                   "one of: " + algorithm_names());
}

void validate_tuning(const Tuning& t) {
  expect_workgroups("tuning split_kv_workgroups", t.split_kv_workgroups, "by the form of split-kv's first pass");
  expect_one_of("tuning flash_keys_per_tile", t.flash_keys_per_tile, {0, 16, 32, 48, 64}, "the most that fits");
  expect_one_of("tuning flash_threads_x", t.flash_threads_x, {0, 8, 16}, "by shape");
  expect_one_of("tuning flash_workgroup_threads", t.flash_workgroup_threads, {0, 128, 256}, "by shape");
  expect_one_of("tuning tiled_rows", t.tiled_rows, {0, 64, 128}, "by head dim");
  expect_one_of("tuning tiled_keys", t.tiled_keys, {0, 32, 64, 128}, "by head dim");
  expect_one_of("tuning tiled_dchunk", t.tiled_dchunk, {0, 4, 8, 16}, "by head dim");
}

Settings resolve_settings(const SdpaOptions& o, const Tuning& tune, const KVCacheConfig& c, bool has_shader_f16) {
  if (o.algorithm != Algorithm::Auto) algorithm_entry(o.algorithm);  // throws for values outside the enum
  if (!(o.scale >= 0) || !std::isfinite(o.scale))
    throw ShapeError("scale must be finite and >= 0 (0 = 1/sqrt(D)), got " + std::to_string(o.scale));
  if (!(o.softcap >= 0) || !std::isfinite(o.softcap))
    throw ShapeError("softcap must be finite and >= 0 (0 = none), got " + std::to_string(o.softcap));
  if (o.repeat < 1) throw ShapeError("repeat must be at least 1, got " + std::to_string(o.repeat));
  expect_workgroups("split_kv_workgroups", o.split_kv_workgroups, "the Sdpa's tuning");
  expect_one_of("flash_keys_per_tile", o.flash_keys_per_tile, {0, 16, 32, 48, 64}, "the Sdpa's tuning");
  expect_one_of("flash_threads_x", o.flash_threads_x, {0, 8, 16}, "the Sdpa's tuning");
  expect_one_of("flash_workgroup_threads", o.flash_workgroup_threads, {0, 128, 256}, "the Sdpa's tuning");
  expect_one_of("tiled_rows", o.tiled_rows, {0, 64, 128}, "the Sdpa's tuning");
  expect_one_of("tiled_keys", o.tiled_keys, {0, 32, 64, 128}, "the Sdpa's tuning");
  expect_one_of("tiled_dchunk", o.tiled_dchunk, {0, 4, 8, 16}, "the Sdpa's tuning");
  validate_tuning(tune);
  Settings s;
  s.scale = o.scale > 0 ? o.scale : static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim)));
  s.causal = o.causal;
  s.window_left = o.window_left;
  s.softcap = o.softcap;
  for (size_t h = 0; h < o.sinks.size(); ++h)
    if (!std::isfinite(o.sinks[h]))
      throw ShapeError("sinks[" + std::to_string(h) + "] must be finite, got " + std::to_string(o.sinks[h]));
  s.sinks = o.sinks;
  s.lse = o.lse != nullptr;
  if (!o.alibi && !o.alibi_slopes.empty())
    throw ShapeError("alibi_slopes has " + std::to_string(o.alibi_slopes.size()) +
                     " values but alibi is false; set alibi = true to use them");
  for (size_t h = 0; h < o.alibi_slopes.size(); ++h)
    if (!std::isfinite(o.alibi_slopes[h]))
      throw ShapeError("alibi_slopes[" + std::to_string(h) + "] must be finite, got " +
                       std::to_string(o.alibi_slopes[h]));
  s.alibi = o.alibi;
  s.alibi_slopes = o.alibi_slopes;
  if (o.mask) {
    if (o.mask_kind != MaskKind::Additive && o.mask_kind != MaskKind::Bool)
      throw ShapeError("mask_kind " + std::to_string(static_cast<int>(o.mask_kind)) +
                       " is not allowed; allowed: MaskKind::Additive, MaskKind::Bool");
    if (o.mask->shape().size() != 2)
      throw ShapeError("mask must be 2-D, [S, L] (" +
                       std::string(o.mask_kind == MaskKind::Bool ? "u32 words" : "fp32 entries") + " per row), got " +
                       shape_string(o.mask->shape()));
    s.mask = o.mask_kind;
    s.mask_stride = o.mask->shape()[1];
  }
  s.split_kv_workgroups = o.split_kv_workgroups ? o.split_kv_workgroups : tune.split_kv_workgroups;
  s.flash_keys_per_tile = o.flash_keys_per_tile ? o.flash_keys_per_tile : tune.flash_keys_per_tile;
  s.flash_threads_x = o.flash_threads_x ? o.flash_threads_x : tune.flash_threads_x;
  s.flash_workgroup_threads = o.flash_workgroup_threads ? o.flash_workgroup_threads : tune.flash_workgroup_threads;
  s.tiled_rows = o.tiled_rows ? o.tiled_rows : tune.tiled_rows;
  s.tiled_keys = o.tiled_keys ? o.tiled_keys : tune.tiled_keys;
  s.tiled_dchunk = o.tiled_dchunk ? o.tiled_dchunk : tune.tiled_dchunk;
  s.native_f16 = tune.native_f16 && c.dtype == DType::F16 && has_shader_f16;
  return s;
}

const AlgorithmEntry& choose(const CallShape& shape, const Settings& settings, const AdapterSummary& device) {
  const AlgorithmEntry* best = nullptr;
  int best_rank = 0;
  std::string reasons;
  for (const AlgorithmEntry* e : algorithm_table()) {
    const int rank = e->auto_rank(shape);
    if (rank <= best_rank) continue;
    const std::string why = e->supports(shape, settings, device);
    if (why.empty()) {
      best = e;
      best_rank = rank;
    } else {
      reasons += "; " + why;
    }
  }
  if (!best) throw UnsupportedError("no algorithm can run this call" + reasons);
  return *best;
}

const AlgorithmEntry& select(Algorithm requested, const CallShape& shape, const Settings& settings,
                             const AdapterSummary& device) {
  if (requested == Algorithm::Auto) return choose(shape, settings, device);
  const AlgorithmEntry& e = algorithm_entry(requested);
  if (std::string why = e.supports(shape, settings, device); !why.empty()) throw UnsupportedError(why);
  return e;
}

void check_position(uint32_t input_pos, uint32_t seq_len, uint64_t limit, const char* what) {
  if (uint64_t{input_pos} + seq_len > limit)
    throw ShapeError("input_pos " + std::to_string(input_pos) + " + S " + std::to_string(seq_len) + " exceeds " +
                     what + " " + std::to_string(limit));
}

KernelParams common_params(const CallShape& shape, const Settings& settings, uint32_t input_pos) {
  KernelParams prm;
  prm.seq_len = shape.seq_len;
  prm.q_heads = shape.q_heads;
  prm.kv_heads = shape.cache.kv_heads;
  prm.head_dim = shape.cache.head_dim;
  prm.input_pos = input_pos;
  prm.context_len = input_pos + shape.seq_len;
  prm.causal = settings.causal ? 1u : 0u;
  prm.scale = settings.scale;
  prm.window_left = settings.window_left;
  prm.softcap = settings.softcap;
  prm.mask_stride = settings.mask_stride;
  return prm;
}

uint32_t first_visible_key(const Settings& settings, uint32_t input_pos) {
  const uint32_t w = settings.window_left;
  return w != 0 && input_pos + 1 > w ? input_pos + 1 - w : 0;
}

std::string sinks_wgsl(const Settings& settings, uint32_t binding) {
  if (settings.sinks.empty()) return "const SINKS: bool = false;\nfn sink_logit(h: u32) -> f32 { return 0.0; }\n";
  return "const SINKS: bool = true;\n@group(0) @binding(" + std::to_string(binding) +
         ") var<storage, read> sinks: array<f32>;\nfn sink_logit(h: u32) -> f32 { return sinks[h]; }\n";
}

std::string alibi_wgsl(const Settings& settings, uint32_t q_heads) {
  if (!settings.alibi)
    return "fn alibi_slope(h: u32) -> f32 { return 0.0; }\nfn alibi_ref_key(slope: f32, s: u32) -> u32 { return 0u; }\n";
  const std::vector<float> slopes = settings.alibi_slopes.empty() ? alibi_slopes(q_heads) : settings.alibi_slopes;
  // Hex literals: each slope exactly as the host holds it.
  std::string list;
  for (float m : slopes) list += (list.empty() ? "" : ", ") + fmt_hex_float(m);
  return "const ALIBI_SLOPES = array<f32, " + std::to_string(slopes.size()) + ">(" + list +
         ");\nfn alibi_slope(h: u32) -> f32 { return ALIBI_SLOPES[h]; }\n"
         "fn alibi_ref_key(slope: f32, s: u32) -> u32 { return select(visible_start(s), visible_len(s) - 1u, slope >= 0.0); }\n";
}

std::string mask_wgsl(const Settings& settings, int binding) {
  if (!settings.mask)
    return "const MASK: bool = false;\nfn mask_visible(s: u32, key: u32) -> bool { return true; }\n"
           "fn mask_score(score: f32, s: u32, key: u32) -> f32 { return score; }\n";
  if (binding < 0) return "const MASK: bool = true;\n";
  const bool additive = *settings.mask == MaskKind::Additive;
  std::string s = "const MASK: bool = true;\n@group(0) @binding(" + std::to_string(binding) +
                  ") var<storage, read> mask: array<" + (additive ? "f32" : "u32") + ">;\n";
  // -inf: invisible by rule; NaN and +inf stay visible and reach the row. Compared as bits:
  // WGSL lets a float comparison assume no NaN (lavapipe's then hid a NaN entry).
  if (additive)
    return s + "fn mask_visible(s: u32, key: u32) -> bool {\n"
               "  return bitcast<u32>(mask[s * p.mask_stride + key]) != 0xff800000u;\n}\n"
               "fn mask_score(score: f32, s: u32, key: u32) -> f32 { return score + mask[s * p.mask_stride + key]; }\n";
  return s + "fn mask_visible(s: u32, key: u32) -> bool {\n"
             "  return ((mask[s * p.mask_stride + key / 32u] >> (key % 32u)) & 1u) != 0u;\n}\n"
             "fn mask_score(score: f32, s: u32, key: u32) -> f32 { return score; }\n";
}

void check_mask_columns(const Settings& settings, uint64_t context, const char* what) {
  if (!settings.mask) return;
  const bool words = *settings.mask == MaskKind::Bool;
  const uint64_t covers = uint64_t{settings.mask_stride} * (words ? 32 : 1);
  if (covers < context)
    throw ShapeError("mask rows hold " + std::to_string(settings.mask_stride) + (words ? " u32 words (" + std::to_string(covers) + " positions)" : " entries") +
                     ", fewer than " + what + " " + std::to_string(context));
}

std::string lse_wgsl(const Settings& settings, uint32_t binding) {
  if (!settings.lse) return "const LSE: bool = false;\nfn write_lse(i: u32, v: f32) {}\n";
  return "const LSE: bool = true;\n@group(0) @binding(" + std::to_string(binding) +
         ") var<storage, read_write> lse: array<f32>;\nfn write_lse(i: u32, v: f32) { lse[i] = v; }\n";
}

std::string activations_wgsl(std::initializer_list<std::pair<const char*, DType>> tensors) {
  std::string s;
  for (const auto& [name, dtype] : tensors) {
    const std::string n = name, vec = n + "_vec4";
    if (dtype == DType::F32) {
      s += "alias " + vec + " = vec4<f32>;\nfn " + n + "_unpack(v: " + vec + ") -> vec4<f32> { return v; }\nfn " + n +
           "_pack(v: vec4<f32>) -> " + vec + " { return v; }\n";
    } else {  // halves packed two per u32, as in the kv_f16 prelude
      s += "alias " + vec + " = vec2<u32>;\nfn " + n + "_unpack(v: " + vec +
           ") -> vec4<f32> { return vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)); }\nfn " + n +
           "_pack(v: vec4<f32>) -> " + vec + " { return vec2<u32>(pack2x16float(v.xy), pack2x16float(v.zw)); }\n";
    }
  }
  return s;
}

std::shared_ptr<gpu::Buffer> upload_sinks(gpu::Device& device, const Settings& settings) {
  auto buf = std::make_shared<gpu::Buffer>(device, settings.sinks.size() * sizeof(float), "sinks");
  buf->upload(settings.sinks);
  return buf;
}

std::string variant_wgsl(const Settings& settings) {
  const auto flag = [](const char* name, bool on) {
    return std::string("const ") + name + ": bool = " + (on ? "true" : "false") + ";\n";
  };
  // SCALE_AFTER: a scale above 1 in magnitude multiplies the finished dot product instead of
  // being folded into q or K: q * scale or k * scale can overflow where scale * (q . k) does not
  // (scale 3e38 with q = 0, or with k = 0, gave NaN).
  return flag("WINDOW", settings.window_left != 0) + flag("SOFTCAP", settings.softcap != 0) +
         flag("ALIBI", settings.alibi) + flag("SCALE_AFTER", std::fabs(settings.scale) > 1.0f);
}

void encode_passes(gpu::Recorder& rec, const std::vector<PreparedPass>& passes, const KernelParams& common) {
  for (const PreparedPass& pass : passes) {
    KernelParams prm = common;
    const gpu::Grid grid = pass.fill(prm);
    rec.dispatch(pass.label, *pass.pipeline, prm, pass.bindings, grid);
  }
}

std::string kv_prelude(DType dtype, bool native_f16) {
  if (dtype == DType::F32) return "kv_f32";
  return native_f16 ? "kv_f16_native" : "kv_f16";
}

gpu::Grid flat_grid(const DeviceLimits& limits, uint64_t threads, uint32_t workgroup, uint32_t* row_threads) {
  const uint64_t groups = (threads + workgroup - 1) / workgroup;
  const uint64_t max_dim = limits.max_compute_workgroups_per_dimension;
  const auto x = static_cast<uint32_t>(std::min<uint64_t>(std::max<uint64_t>(groups, 1), max_dim));
  const auto y = static_cast<uint32_t>((groups + x - 1) / x);
  *row_threads = x * workgroup;
  return {x, std::max(y, 1u), 1};
}

}  // namespace webattn::attention

namespace webattn {

const char* to_string(Algorithm a) {
  if (a == Algorithm::Auto) return "auto";
  const attention::AlgorithmEntry* e = attention::find_entry(a);
  return e ? e->name : "?";
}

std::vector<float> alibi_slopes(uint32_t q_heads) {
  if (q_heads == 0) throw ShapeError("alibi_slopes: q_heads must be at least 1, got 0");
  uint32_t n = 1;  // the largest power of two <= q_heads
  while (n * 2 <= q_heads) n *= 2;
  std::vector<float> slopes;
  for (uint32_t h = 0; h < n; ++h) slopes.push_back(static_cast<float>(std::exp2(-8.0 * (h + 1) / n)));
  for (uint32_t j = 0; n + j < q_heads; ++j) slopes.push_back(static_cast<float>(std::exp2(-4.0 * (2 * j + 1) / n)));
  return slopes;
}

std::vector<float> pack_bool_mask(const std::vector<uint8_t>& visible, uint32_t rows, uint32_t cols) {
  if (visible.size() != size_t{rows} * cols)
    throw ShapeError("pack_bool_mask: " + std::to_string(visible.size()) + " values for " + std::to_string(rows) +
                     " x " + std::to_string(cols));
  const uint32_t words = (cols + 31) / 32;
  std::vector<uint32_t> packed(size_t{rows} * words, 0);
  for (uint32_t r = 0; r < rows; ++r)
    for (uint32_t c = 0; c < cols; ++c)
      if (visible[size_t{r} * cols + c]) packed[size_t{r} * words + c / 32] |= 1u << (c % 32);
  std::vector<float> out(packed.size());
  std::memcpy(out.data(), packed.data(), packed.size() * 4);
  return out;
}

std::vector<Algorithm> all_algorithms() {
  std::vector<Algorithm> out;
  for (const attention::AlgorithmEntry* e : attention::algorithm_table()) out.push_back(e->id);
  return out;
}

Algorithm algorithm_from_string(const std::string& name) {
  if (name == "auto") return Algorithm::Auto;
  for (const attention::AlgorithmEntry* e : attention::algorithm_table())
    if (name == e->name) return e->id;
  throw ShapeError("unknown algorithm '" + name + "'; expected one of: " + attention::algorithm_names());
}

}  // namespace webattn
