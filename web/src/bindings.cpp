// The wasm side of webattn's JavaScript API (web/webattn.js is the public face): embind
// classes over the same C++ the native build uses. Handles of the app's GPUDevice and
// GPUBuffers arrive as emdawnwebgpu pointers made by WebGPU.importJs* in webattn.js; every
// function that may wait for the GPU is bound with emscripten::async() (JSPI: it returns a
// Promise). C++ exceptions leave as JS Errors named after their class (ShapeError, ...).
#include <emscripten/bind.h>
#include <emscripten/val.h>
#include <webgpu/webgpu.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "webattn/webattn.hpp"
#include "webattn/verify.hpp"

using emscripten::val;

namespace {

using namespace webattn;

[[noreturn]] void throw_js(const char* name, const std::string& message) {
  val err = val::global("Error").new_(val(message));
  err.set("name", val(name));
  err.throw_();
}

// Runs f, turning webattn's exceptions into JS errors that carry the C++ message.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  const char* name = nullptr;
  std::string message;
  try {
    return f();
  } catch (const DeviceLostError& e) {
    name = "DeviceLostError", message = e.what();
  } catch (const GpuError& e) {
    name = "GpuError", message = e.what();
  } catch (const ShapeError& e) {
    name = "ShapeError", message = e.what();
  } catch (const UnsupportedError& e) {
    name = "UnsupportedError", message = e.what();
  } catch (const std::exception& e) {
    name = "Error", message = e.what();
  }
  throw_js(name, message);  // outside the catch: no C++ exception is live when JS unwinds
}

// what: "cache", "tensor 'q'", "act.out": whose dtype it is.
DType dtype_of(const std::string& s, const std::string& what) {
  if (s == "f32") return DType::F32;
  if (s == "f16") return DType::F16;
  throw ShapeError("unknown " + what + " dtype '" + s + "'; expected 'f32' or 'f16'");
}

std::string describe(const val& v) {
  return v.typeOf().as<std::string>() + " " + val::global("String")(v).as<std::string>();
}

// Fields of JS objects (options, cache configs), checked: a typo, NaN or a string must not
// pass silently.
double number_field(const val& obj, const char* key, double fallback) {
  if (obj.isUndefined() || obj.isNull()) return fallback;
  val v = obj[key];
  if (v.isUndefined() || v.isNull()) return fallback;
  if (!v.isNumber()) throw ShapeError(std::string("'") + key + "' must be a number, got " + describe(v));
  const double d = v.as<double>();
  if (!(d >= 0 && d <= 4294967295.0))
    throw ShapeError(std::string("'") + key + "' must be a number in [0, 2^32), got " + describe(v));
  return d;
}
// Integers (shapes, positions, counts): fractions refused too.
uint32_t count_field(const val& obj, const char* key, uint32_t fallback) {
  const double d = number_field(obj, key, fallback);
  if (d != static_cast<double>(static_cast<uint32_t>(d)))
    throw ShapeError(std::string("'") + key + "' must be an integer, got " + describe(obj[key]));
  return static_cast<uint32_t>(d);
}
bool bool_field(const val& obj, const char* key, bool fallback) {
  if (obj.isUndefined() || obj.isNull()) return fallback;
  val v = obj[key];
  if (v.isUndefined()) return fallback;
  if (!v.isTrue() && !v.isFalse()) throw ShapeError(std::string("'") + key + "' must be true or false, got " + describe(v));
  return v.isTrue();
}
std::string string_field(const val& obj, const char* key, const std::string& fallback) {
  if (obj.isUndefined() || obj.isNull()) return fallback;
  val v = obj[key];
  if (v.isUndefined()) return fallback;
  if (!v.isString()) throw ShapeError(std::string("'") + key + "' must be a string, got " + describe(v));
  return v.as<std::string>();
}

// [rows, heads, head_dim] (q, k_new, v_new, out) or [rows, heads] (lse): positive integers.
std::vector<uint32_t> shape_of(const val& shape, const std::string& label) {
  const char* want = "an array of 3 positive integers [rows, heads, head_dim] (or 2, [rows, cols], for lse and masks)";
  const unsigned n = shape.isArray() ? shape["length"].as<unsigned>() : 0;
  if (n != 2 && n != 3)
    throw ShapeError("'" + label + "': shape must be " + want + ", got " +
                     (shape.isArray() ? "[" + val::global("String")(shape).as<std::string>() + "]" : describe(shape)));
  std::vector<uint32_t> out;
  for (unsigned i = 0; i < n; ++i) {
    val x = shape[i];
    if (!x.isNumber() || !(x.as<double>() >= 1 && x.as<double>() <= 4294967295.0) ||
        x.as<double>() != static_cast<double>(static_cast<uint32_t>(x.as<double>())))
      throw ShapeError("'" + label + "': shape must be " + want + ", got [" + val::global("String")(shape).as<std::string>() + "]");
    out.push_back(static_cast<uint32_t>(x.as<double>()));
  }
  return out;
}

bool is_array_like(const val& v) {
  return v.isArray() || (val::global("ArrayBuffer").call<bool>("isView", v) && !v.instanceof(val::global("DataView")));
}

// An array (or typed array) of numbers, each within fp32's finite range (sinks, ALiBi slopes):
// empty when absent. Finite-ness is checked here because a double past fp32's range would
// otherwise reach the library as an Inf the caller never wrote.
std::vector<float> floats_field(const val& obj, const char* key) {
  if (obj.isUndefined() || obj.isNull()) return {};
  val v = obj[key];
  if (v.isUndefined() || v.isNull()) return {};
  const std::string name = std::string("'") + key + "'";
  if (!is_array_like(v)) throw ShapeError(name + " must be an array of numbers, got " + describe(v));
  std::vector<float> out;
  const unsigned n = v["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) {
    val x = v[i];
    const std::string at = name + "[" + std::to_string(i) + "]";
    if (!x.isNumber()) throw ShapeError(at + " must be a number, got " + describe(x));
    const double d = x.as<double>();
    if (!(std::abs(d) <= std::numeric_limits<float>::max()))
      throw ShapeError(at + " must be a finite fp32 number, got " + describe(x));
    out.push_back(static_cast<float>(d));
  }
  return out;
}

// Refuses a key of `obj` that is not in `known` (a typo must not pass as "option absent").
template <size_t N>
void check_keys(const val& obj, const char* const (&known)[N], const std::string& what) {
  std::string list;
  for (size_t i = 0; i < N; ++i) list += std::string(i ? (i + 1 == N ? " or " : ", ") : "") + known[i];
  val keys = val::global("Object").call<val>("keys", obj);
  for (unsigned i = 0; i < keys["length"].as<unsigned>(); ++i) {
    const std::string k = keys[i].as<std::string>();
    bool ok = false;
    for (const char* n : known) ok = ok || k == n;
    if (!ok) throw ShapeError("unknown " + what + " '" + k + "'; expected " + list);
  }
}

// alibi: true (the paper's slopes for Hq heads: SdpaOptions::alibi with no slopes), false or
// absent (none), or an array of Hq slopes. Returns {on, slopes}.
std::pair<bool, std::vector<float>> alibi_field(const val& obj) {
  if (obj.isUndefined() || obj.isNull()) return {false, {}};
  val v = obj["alibi"];
  if (v.isUndefined() || v.isNull() || v.isFalse()) return {false, {}};
  if (v.isTrue()) return {true, {}};
  if (!is_array_like(v)) throw ShapeError("'alibi' must be true, false or an array of Hq slopes, got " + describe(v));
  return {true, floats_field(obj, "alibi")};
}

MaskKind mask_kind_of(const val& kind) {
  if (kind.isString() && kind.as<std::string>() == "additive") return MaskKind::Additive;
  if (kind.isString() && kind.as<std::string>() == "bool") return MaskKind::Bool;
  throw ShapeError("'mask.kind' must be 'additive' or 'bool', got " + describe(kind));
}

class JsTensor {
 public:
  explicit JsTensor(Tensor t) : t_(std::move(t)) {}
  Tensor& get() { return t_; }
  val shape() const { return val::array(t_.shape()); }
  std::string dtype() const { return to_string(t_.dtype()); }

 private:
  Tensor t_;
};

// {S, Hq, Hkv, D, inputPos, causal, scale, windowLeft, softcap, sinks, alibi} of verify() and
// referenceAttention() (alibi: true resolved to the paper's slopes), and the fields only one
// of them reads (capacity, lse, act, mask).
reference::CallSpec problem_of(const val& p) {
  static const char* const known[] = {"S", "Hq", "Hkv", "D", "inputPos", "capacity", "causal", "scale",
                                      "windowLeft", "softcap", "sinks", "lse", "act", "alibi", "mask"};
  if (!p.isUndefined() && !p.isNull()) check_keys(p, known, "problem field");
  reference::CallSpec pr;
  pr.seq_len = count_field(p, "S", 1);
  pr.q_heads = count_field(p, "Hq", 1);
  pr.kv_heads = count_field(p, "Hkv", 1);
  pr.head_dim = count_field(p, "D", 4);
  pr.input_pos = count_field(p, "inputPos", 0);
  pr.causal = bool_field(p, "causal", true);
  pr.scale = number_field(p, "scale", 0);
  pr.window_left = count_field(p, "windowLeft", 0);
  pr.softcap = number_field(p, "softcap", 0);
  pr.sinks = floats_field(p, "sinks");
  if (auto [on, slopes] = alibi_field(p); on) pr.alibi_slopes = slopes.empty() ? alibi_slopes(pr.q_heads) : slopes;
  return pr;
}

// verify()'s act: {q, kNew, vNew, out}, each 'f32' (absent) or 'f16'.
ActivationDTypes act_of(const val& p) {
  ActivationDTypes a;
  if (p.isUndefined() || p.isNull() || p["act"].isUndefined() || p["act"].isNull()) return a;
  val v = p["act"];
  if (v.typeOf().as<std::string>() != "object" || v.isArray())
    throw ShapeError("'act' must be an object {q, kNew, vNew, out} of 'f32' / 'f16', got " + describe(v));
  static const char* const known[] = {"q", "kNew", "vNew", "out"};
  check_keys(v, known, "act field");
  a.q = dtype_of(string_field(v, "q", "f32"), "act.q");
  a.k_new = dtype_of(string_field(v, "kNew", "f32"), "act.kNew");
  a.v_new = dtype_of(string_field(v, "vNew", "f32"), "act.vNew");
  a.out = dtype_of(string_field(v, "out", "f32"), "act.out");
  return a;
}

// The call options. lse and mask.tensor arrive as the wasm Tensors webattn.js took from the
// caller's Tensors (it checked their kind there, naming the field); the options point into
// them for the call.
SdpaOptions options_of(const val& o) {
  SdpaOptions opt;
  if (o.isUndefined() || o.isNull()) return opt;
  static const char* const known[] = {"algorithm", "scale", "causal", "windowLeft", "softcap",
                                      "sinks", "lse", "alibi", "mask", "profile", "maxContext"};
  check_keys(o, known, "option");
  opt.algorithm = algorithm_from_string(string_field(o, "algorithm", "auto"));
  opt.scale = static_cast<float>(number_field(o, "scale", 0));
  opt.causal = bool_field(o, "causal", true);
  opt.window_left = count_field(o, "windowLeft", 0);
  opt.softcap = static_cast<float>(number_field(o, "softcap", 0));
  opt.sinks = floats_field(o, "sinks");
  if (val lse = o["lse"]; !lse.isUndefined() && !lse.isNull())
    opt.lse = &lse.as<JsTensor*>(emscripten::allow_raw_pointers())->get();
  std::tie(opt.alibi, opt.alibi_slopes) = alibi_field(o);
  if (val mask = o["mask"]; !mask.isUndefined() && !mask.isNull()) {
    static const char* const mask_fields[] = {"tensor", "kind"};
    check_keys(mask, mask_fields, "mask field");
    opt.mask_kind = mask_kind_of(mask["kind"]);
    opt.mask = &mask["tensor"].as<JsTensor*>(emscripten::allow_raw_pointers())->get();
  }
  opt.profile = bool_field(o, "profile", false);
  opt.max_context = count_field(o, "maxContext", 0);
  return opt;
}

val info_of(const ForwardInfo& info) {
  val out = val::object();
  out.set("algorithm", val(std::string(to_string(info.algorithm))));
  val stages = val::array();
  for (const auto& s : info.stages) {
    val st = val::object();
    st.set("stage", val(s.stage));
    st.set("ms", val(s.ms));
    st.set("startMs", val(s.start_ms));
    stages.call<void>("push", st);
  }
  out.set("stages", stages);
  out.set("totalMs", val(info.total_ms()));
  out.set("spanMs", val(info.span_ms()));
  return out;
}

class JsCache {
 public:
  explicit JsCache(KVCache c) : c_(std::move(c)) {}
  KVCache& get() { return c_; }
  val keys() {
    return guarded([&] { return val::global("Float32Array").new_(val::array(c_.download_keys())); });
  }
  val values() {
    return guarded([&] { return val::global("Float32Array").new_(val::array(c_.download_values())); });
  }

 private:
  KVCache c_;
};

class JsPlan {
 public:
  explicit JsPlan(SdpaPlan p) : p_(std::move(p)) {}
  val run(uint32_t pos) {
    return guarded([&] { return info_of(p_.run(pos)); });
  }
  // Recording into the app's GPUCommandEncoder: native-only (see gpu/native_extras.hpp); here
  // it reaches the same refusal the C++ API gives. Drops webattn.js's encoder import.
  val encode(uintptr_t encoder, uint32_t pos) {
    auto enc = reinterpret_cast<WGPUCommandEncoder>(encoder);
    struct Drop {
      WGPUCommandEncoder e;
      ~Drop() { wgpuCommandEncoderRelease(e); }
    } drop{enc};
    return guarded([&] {
      p_.encode(enc, pos);
      return val::undefined();
    });
  }
  std::string algorithm() const { return to_string(p_.algorithm()); }
  uint32_t seq_len() const { return p_.seq_len(); }
  uint32_t max_context() const { return p_.max_context(); }

 private:
  SdpaPlan p_;
};

class JsContext {
 public:
  // Adopts an imported instance + device (webattn.js made both references for us).
  static std::shared_ptr<JsContext> adopt(uintptr_t instance, uintptr_t device) {
    auto inst = reinterpret_cast<WGPUInstance>(instance);
    auto dev = reinterpret_cast<WGPUDevice>(device);
    struct Drop {
      WGPUInstance i;
      WGPUDevice d;
      ~Drop() {
        if (d) wgpuDeviceRelease(d);
        if (i) wgpuInstanceRelease(i);
      }
    } drop{inst, dev};
    return guarded([&] { return std::shared_ptr<JsContext>(new JsContext(Context::adopt(inst, dev))); });
  }

  val adapter() const {
    const AdapterSummary& a = ctx_.adapter();
    val o = val::object();
    o.set("device", val(a.device));
    o.set("vendor", val(a.vendor));
    o.set("architecture", val(a.architecture));
    o.set("description", val(a.description));
    o.set("backend", val(a.backend));
    o.set("timestamps", val(ctx_.has_timestamps()));
    o.set("subgroups", val(ctx_.has_subgroups()));
    o.set("shaderF16", val(ctx_.has_shader_f16()));
    o.set("maxStorageBufferBindingSize", val(double(a.limits.max_storage_buffer_binding_size)));
    o.set("minStorageBufferOffsetAlignment", val(a.limits.min_storage_buffer_offset_alignment));
    o.set("maxComputeWorkgroupStorageSize", val(a.limits.max_compute_workgroup_storage_size));
    return o;
  }

  // Buffers arrive as pointers webattn.js imported once per GPUBuffer (and releases in
  // destroy()): one GPUBuffer is one WGPUBuffer, so same-buffer checks see it.
  // opts: {dtype: 'f32' | 'f16'} (webattn.js checked the other fields).
  JsTensor* tensor(uintptr_t buffer, double offset, val shape, std::string label, val opts) {
    return guarded([&] {
      const DType dtype = dtype_of(string_field(opts, "dtype", "f32"), "tensor '" + label + "'");
      return new JsTensor(
          Tensor::wrap(ctx_, as_buffer(buffer), offset_of(offset, label), shape_of(shape, label), label, dtype));
    });
  }

  JsCache* cache(val config, uintptr_t keys, double keys_offset, uintptr_t values, double values_offset) {
    return guarded([&] {
      KVCacheConfig c;
      c.capacity = count_field(config, "capacity", 0);
      c.kv_heads = count_field(config, "kvHeads", 0);
      c.head_dim = count_field(config, "headDim", 0);
      c.dtype = dtype_of(string_field(config, "dtype", "f32"), "cache");
      return new JsCache(KVCache::wrap(ctx_, c, as_buffer(keys), offset_of(keys_offset, "keysOffset"), as_buffer(values),
                                       offset_of(values_offset, "valuesOffset")));
    });
  }

  val forward(JsTensor& q, JsTensor& k, JsTensor& v, JsCache& cache, uint32_t pos, JsTensor& out, val options) {
    return guarded([&] {
      return info_of(sdpa().forward(q.get(), k.get(), v.get(), cache.get(), pos, out.get(), options_of(options)));
    });
  }

  JsPlan* plan(JsTensor& q, JsTensor& k, JsTensor& v, JsCache& cache, JsTensor& out, val options) {
    return guarded([&] {
      return new JsPlan(sdpa().plan(q.get(), k.get(), v.get(), cache.get(), out.get(), options_of(options)));
    });
  }

  std::string choose(uint32_t seq_len, uint32_t pos, JsCache& cache, uint32_t q_heads) {
    return guarded([&] { return std::string(to_string(sdpa().choose(seq_len, pos, cache.get().config(), q_heads))); });
  }

  // The float64-reference check of one random problem (src/verify.cpp, as `webattn check`).
  val verify(val c, std::string algorithm, std::string dtype, uint32_t seed) {
    return guarded([&] {
      const reference::CallSpec p = problem_of(c);
      verify::Case vc;
      vc.S = p.seq_len, vc.Hq = p.q_heads, vc.Hkv = p.kv_heads, vc.D = p.head_dim, vc.input_pos = p.input_pos;
      vc.capacity = count_field(c, "capacity", vc.input_pos + vc.S);
      vc.causal = p.causal;
      vc.scale = static_cast<float>(p.scale);
      vc.window_left = p.window_left;
      vc.softcap = static_cast<float>(p.softcap);
      vc.sinks = p.sinks;
      vc.lse = bool_field(c, "lse", false);
      vc.act = act_of(c);
      vc.alibi = !p.alibi_slopes.empty();
      if (auto [on, slopes] = alibi_field(c); on) vc.alibi_slopes = slopes;  // empty: the paper's
      // mask: the kind of mask the harness draws from the seed
      if (val m = c["mask"]; !m.isUndefined() && !m.isNull()) vc.mask = mask_kind_of(m);
      const Algorithm algo = algorithm_from_string(algorithm);
      const DType dt = dtype_of(dtype, "cache");
      val o = val::object();
      o.set("case", val(vc.str()));
      if (!verify::supported(ctx_, vc, algo, dt)) {
        o.set("supported", val(false));
        return o;
      }
      verify::Result r = verify::run_case(ctx_, vc, algo, dt, seed);
      o.set("supported", val(true));
      o.set("passed", val(r.passed()));
      o.set("ran", val(std::string(to_string(r.ran))));
      o.set("maxAbs", val(r.cmp.max_abs));
      o.set("relL2", val(r.cmp.rel_l2));
      o.set("nonfinite", val(double(r.cmp.nonfinite)));
      o.set("cacheExact", val(r.cache_exact));
      o.set("gpuMs", val(r.gpu_ms));
      if (vc.lse) {
        o.set("lseMaxAbs", val(r.lse_cmp.max_abs));
        o.set("lseRelL2", val(r.lse_cmp.rel_l2));
      }
      return o;
    });
  }

 private:
  explicit JsContext(Context ctx) : ctx_(std::move(ctx)) {}
  Sdpa& sdpa() {
    if (!sdpa_) sdpa_ = std::make_unique<Sdpa>(ctx_);
    return *sdpa_;
  }
  static WGPUBuffer as_buffer(uintptr_t p) { return reinterpret_cast<WGPUBuffer>(p); }
  static uint64_t offset_of(double offset, const std::string& what) {
    if (!(offset >= 0) || offset != static_cast<double>(static_cast<uint64_t>(offset)))
      throw ShapeError("'" + what + "': offset " + std::to_string(offset) + " is not a non-negative integer");
    return static_cast<uint64_t>(offset);
  }
  Context ctx_;
  std::unique_ptr<Sdpa> sdpa_;
};

uintptr_t create_instance() { return reinterpret_cast<uintptr_t>(wgpuCreateInstance(nullptr)); }
// Drops webattn.js's reference to an imported buffer (the GPUBuffer itself stays the app's).
void release_buffer(uintptr_t p) { wgpuBufferRelease(reinterpret_cast<WGPUBuffer>(p)); }

// referenceAttention's mask: {kind, values, cols}, values [S, cols] row-major: additive
// entries (fp32, -Infinity hides the key), or for 'bool' the visibility unpacked (nonzero =
// visible), as reference::CallSpec takes them.
void reference_mask(const val& m, reference::CallSpec& pr) {
  if (m.isUndefined() || m.isNull()) return;
  static const char* const fields[] = {"kind", "values", "cols"};
  check_keys(m, fields, "mask field");
  const MaskKind kind = mask_kind_of(m["kind"]);
  pr.mask_stride = count_field(m, "cols", 0);
  val values = m["values"];
  if (!is_array_like(values)) throw ShapeError("'mask.values' must be an array of numbers, got " + describe(values));
  const auto v = emscripten::convertJSArrayToNumberVector<double>(values);
  if (pr.mask_stride < pr.input_pos + pr.seq_len || v.size() != uint64_t{pr.seq_len} * pr.mask_stride)
    throw ShapeError("referenceAttention: mask of " + std::to_string(v.size()) + " values, cols " +
                     std::to_string(pr.mask_stride) + ": needs S*cols values and cols >= inputPos+S " +
                     std::to_string(pr.input_pos + pr.seq_len));
  if (kind == MaskKind::Additive) pr.mask.assign(v.begin(), v.end());
  else for (double x : v) pr.mask_bool.push_back(x != 0);
}

// float64 reference over caches the caller already updated: q [S, Hq, D], caches
// [capacity, Hkv, D] (fp32 values, f16 caches widened), problem {S, Hq, Hkv, D, inputPos,
// causal, scale, windowLeft, softcap, sinks, alibi, mask, lse}. Returns a Float64Array [S, Hq, D], or with
// lse: true {out, lse} (lse a Float64Array [S, Hq]).
val reference_attention(val q, val k_cache, val v_cache, val p) {
  return guarded([&] {
    reference::CallSpec pr = problem_of(p);
    if (pr.head_dim == 0 || pr.kv_heads == 0 || pr.q_heads % pr.kv_heads != 0)
      throw ShapeError("referenceAttention: Hq " + std::to_string(pr.q_heads) + " must be a multiple of Hkv " +
                       std::to_string(pr.kv_heads) + " and D " + std::to_string(pr.head_dim) + " positive");
    const auto qv = emscripten::convertJSArrayToNumberVector<float>(q);
    const auto kv = emscripten::convertJSArrayToNumberVector<float>(k_cache);
    const auto vv = emscripten::convertJSArrayToNumberVector<float>(v_cache);
    const uint64_t q_len = uint64_t{pr.seq_len} * pr.q_heads * pr.head_dim;
    const uint64_t kv_len = (uint64_t{pr.input_pos} + pr.seq_len) * pr.kv_heads * pr.head_dim;
    if (qv.size() != q_len)
      throw ShapeError("referenceAttention: q has " + std::to_string(qv.size()) + " values, S*Hq*D is " +
                       std::to_string(q_len));
    if (kv.size() < kv_len || vv.size() < kv_len)
      throw ShapeError("referenceAttention: caches of " + std::to_string(kv.size()) + " / " +
                       std::to_string(vv.size()) + " values, (inputPos+S)*Hkv*D needs " + std::to_string(kv_len));
    if (!pr.sinks.empty() && pr.sinks.size() != pr.q_heads)
      throw ShapeError("referenceAttention: sinks has " + std::to_string(pr.sinks.size()) + " values, Hq is " +
                       std::to_string(pr.q_heads));
    reference_mask(p["mask"], pr);
    std::vector<double> lse;
    const auto r = reference::attention(qv, kv, vv, pr, &lse);
    val out = val::global("Float64Array").new_(val::array(r));
    if (!bool_field(p, "lse", false)) return out;
    val both = val::object();
    both.set("out", out);
    both.set("lse", val::global("Float64Array").new_(val::array(lse)));
    return both;
  });
}

// visible [rows * cols] (an array of 0/1 from webattn.js) packed as MaskKind::Bool stores it: a Uint32Array
// of rows * ceil(cols / 32) words (webattn::pack_bool_mask).
val pack_mask(val visible, uint32_t rows, uint32_t cols) {
  return guarded([&] {
    std::vector<uint8_t> vis;
    for (double x : emscripten::convertJSArrayToNumberVector<double>(visible)) vis.push_back(x != 0);
    const std::vector<float> bits = pack_bool_mask(vis, rows, cols);
    std::vector<uint32_t> words(bits.size());
    std::memcpy(words.data(), bits.data(), words.size() * 4);  // bit patterns: never through a JS number
    return val::global("Uint32Array").call<val>("from", val::array(words));
  });
}

val algorithms() {
  val a = val::array();
  a.call<void>("push", val(std::string("auto")));
  for (Algorithm x : all_algorithms()) a.call<void>("push", val(std::string(to_string(x))));
  return a;
}

}  // namespace

EMSCRIPTEN_BINDINGS(webattn) {
  using emscripten::allow_raw_pointers;
  using emscripten::async;
  using emscripten::class_;
  // Objects made by a call belong to the JS handle (its delete() frees them).
  const auto owned = emscripten::return_value_policy::take_ownership();
  emscripten::function("createInstance", &create_instance);
  emscripten::function("releaseBuffer", &release_buffer);
  emscripten::function("referenceAttention", &reference_attention);
  emscripten::function("algorithms", &algorithms);
  emscripten::function("packBoolMask", &pack_mask);
  class_<JsTensor>("Tensor").function("shape", &JsTensor::shape).function("dtype", &JsTensor::dtype);
  class_<JsCache>("KVCache")
      .function("downloadKeys", &JsCache::keys, async())
      .function("downloadValues", &JsCache::values, async());
  class_<JsPlan>("Plan")
      .function("run", &JsPlan::run, async())
      .function("encode", &JsPlan::encode, async())
      .function("algorithm", &JsPlan::algorithm)
      .function("seqLen", &JsPlan::seq_len)
      .function("maxContext", &JsPlan::max_context);
  class_<JsContext>("Context")
      .smart_ptr<std::shared_ptr<JsContext>>("ContextPtr")
      .class_function("adopt", &JsContext::adopt)
      .function("adapter", &JsContext::adapter)
      .function("tensor", &JsContext::tensor, allow_raw_pointers(), owned)
      .function("cache", &JsContext::cache, allow_raw_pointers(), owned)
      .function("forward", &JsContext::forward, async())
      .function("plan", &JsContext::plan, allow_raw_pointers(), owned, async())
      .function("choose", &JsContext::choose)
      .function("verify", &JsContext::verify, async());
}
