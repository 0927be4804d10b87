// Sdpa: validates a call, lets the planner pick an algorithm, records the cache
// update and the algorithm's passes into one submission, and (if asked) times them.
#include <algorithm>
#include <cmath>

#include "attention/launch.hpp"

namespace webattn {

const char* to_string(Algorithm a) {
  switch (a) {
    case Algorithm::Auto: return "auto";
    case Algorithm::ThreePassStrided: return "three-pass-strided";
    case Algorithm::ThreePassCoalesced: return "three-pass-coalesced";
    case Algorithm::FlashPrefill: return "flash-prefill";
    case Algorithm::SplitKvDecode: return "split-kv";
  }
  return "?";
}

std::vector<Algorithm> all_algorithms() {
  return {Algorithm::ThreePassStrided, Algorithm::ThreePassCoalesced, Algorithm::FlashPrefill,
          Algorithm::SplitKvDecode};
}

Algorithm algorithm_from_string(const std::string& name) {
  if (name == "auto") return Algorithm::Auto;
  std::string names = "auto";
  for (Algorithm a : all_algorithms()) {
    if (name == to_string(a)) return a;
    names += std::string(", ") + to_string(a);
  }
  throw ShapeError("unknown algorithm '" + name + "'; expected one of: " + names);
}

double ForwardInfo::total_ms() const {
  double t = 0;
  for (const auto& s : stages) t += s.ms;
  return t;
}

double ForwardInfo::span_ms() const {
  double end = 0;
  for (const auto& s : stages) end = std::max(end, s.start_ms + s.ms);
  return end;
}

struct Sdpa::Impl {
  Context* ctx;
  attention::Workspace workspace;
  Tuning tuning;
  explicit Impl(Context& c) : ctx(&c), workspace(c.device()), tuning(load_tuning(tuning_path(), c.adapter())) {}
};

Sdpa::Sdpa(Context& ctx) : impl_(std::make_unique<Impl>(ctx)) {}
Sdpa::~Sdpa() = default;
const Tuning& Sdpa::tuning() const { return impl_->tuning; }
void Sdpa::set_tuning(const Tuning& tuning) { impl_->tuning = tuning; }

Algorithm Sdpa::choose(uint32_t seq_len, uint32_t, const KVCacheConfig& cache, uint32_t q_heads) const {
  const auto& dev = impl_->ctx->device();
  const uint32_t rows = seq_len * (q_heads / cache.kv_heads);
  // Few query rows per kv head: only context-parallel work fills the GPU.
  if (rows <= 16 && attention::split_kv_supported(dev, rows, cache.head_dim, nullptr)) return Algorithm::SplitKvDecode;
  if (attention::flash_prefill_supported(dev, cache.head_dim, nullptr)) return Algorithm::FlashPrefill;
  if (attention::split_kv_supported(dev, rows, cache.head_dim, nullptr)) return Algorithm::SplitKvDecode;
  return Algorithm::ThreePassCoalesced;
}

namespace {
void expect_shape(const Tensor& t, const char* name, const std::vector<uint32_t>& want, const char* pattern) {
  if (t.shape() != want)
    throw ShapeError(std::string(name) + " must be " + pattern + " = " + shape_string(want) + ", got " +
                     shape_string(t.shape()));
}
}  // namespace

ForwardInfo Sdpa::forward(const Tensor& q, const Tensor& k_new, const Tensor& v_new, KVCache& cache,
                          uint32_t input_pos, Tensor& out, const SdpaOptions& options) {
  const auto& c = cache.config();
  if (&cache.context().device() != &impl_->ctx->device())
    throw ShapeError("the KV cache belongs to another Context than this Sdpa");
  const auto& qs = q.shape();
  if (qs.size() != 3) throw ShapeError("q must be [S, Hq, D], got " + shape_string(qs));
  const uint32_t S = qs[0], Hq = qs[1], D = qs[2];
  if (S == 0) throw ShapeError("S (q.shape[0]) must be at least 1, got 0");
  if (D != c.head_dim)
    throw ShapeError("q head_dim " + std::to_string(D) + " differs from the cache's " + std::to_string(c.head_dim));
  if (Hq == 0 || Hq % c.kv_heads != 0)
    throw ShapeError("q_heads " + std::to_string(Hq) + " must be a positive multiple of kv_heads " +
                     std::to_string(c.kv_heads));
  expect_shape(k_new, "k_new", {S, c.kv_heads, D}, "[S, Hkv, D]");
  expect_shape(v_new, "v_new", {S, c.kv_heads, D}, "[S, Hkv, D]");
  expect_shape(out, "out", {S, Hq, D}, "[S, Hq, D]");
  if (uint64_t{input_pos} + S > c.capacity)
    throw ShapeError("input_pos " + std::to_string(input_pos) + " + S " + std::to_string(S) +
                     " exceeds cache capacity " + std::to_string(c.capacity));
  if (!(options.scale >= 0) || !std::isfinite(options.scale))
    throw ShapeError("scale must be finite and >= 0 (0 = 1/sqrt(D)), got " + std::to_string(options.scale));

  Algorithm algo = options.algorithm == Algorithm::Auto ? choose(S, input_pos, c, Hq) : options.algorithm;
  auto& dev = impl_->ctx->device();
  const uint32_t rows = S * (Hq / c.kv_heads);
  std::string why;
  if (algo == Algorithm::FlashPrefill && !attention::flash_prefill_supported(dev, D, &why)) throw UnsupportedError(why);
  if (algo == Algorithm::SplitKvDecode && !attention::split_kv_supported(dev, rows, D, &why))
    throw UnsupportedError(why);

  attention::KernelParams prm;
  prm.seq_len = S;
  prm.q_heads = Hq;
  prm.kv_heads = c.kv_heads;
  prm.head_dim = D;
  prm.input_pos = input_pos;
  prm.context_len = input_pos + S;
  prm.causal = options.causal ? 1u : 0u;
  prm.scale = options.scale > 0 ? options.scale : static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  const bool native_f16 = impl_->tuning.native_f16 && c.dtype == DType::F16 && impl_->ctx->has_shader_f16();
  attention::Problem pb{q, cache, out, prm, attention::kv_prelude(c.dtype, native_f16)};

  if (options.repeat < 1) throw ShapeError("repeat must be at least 1, got " + std::to_string(options.repeat));
  const Tuning& tune = impl_->tuning;
  const uint32_t split_wgs = options.split_kv_workgroups ? options.split_kv_workgroups : tune.split_kv_workgroups;
  const uint32_t flash_bc = options.flash_keys_per_tile ? options.flash_keys_per_tile : tune.flash_keys_per_tile;
  const uint32_t flash_tx = options.flash_threads_x ? options.flash_threads_x : tune.flash_threads_x;
  gpu::Recorder rec(dev, options.profile, options.profile_span_only);
  if (options.profile_span_only) rec.mark("begin");
  for (int i = 0; i < options.repeat; ++i) {
    attention::encode_cache_update(rec, cache, k_new, v_new, input_pos);
    switch (algo) {
      case Algorithm::ThreePassStrided: attention::encode_three_pass(rec, impl_->workspace, pb, false); break;
      case Algorithm::ThreePassCoalesced: attention::encode_three_pass(rec, impl_->workspace, pb, true); break;
      case Algorithm::FlashPrefill: attention::encode_flash_prefill(rec, pb, flash_bc, flash_tx); break;
      case Algorithm::SplitKvDecode: attention::encode_split_kv(rec, impl_->workspace, pb, split_wgs); break;
      case Algorithm::Auto: break;
    }
  }
  if (options.profile_span_only) rec.mark("end");
  rec.submit();
  ForwardInfo info;
  info.algorithm = algo;
  if (options.profile)
    for (const auto& t : rec.timings()) info.stages.push_back({t.label, t.ms, t.start_ms});
  return info;
}

Tensor Sdpa::forward(const Tensor& q, const Tensor& k_new, const Tensor& v_new, KVCache& cache, uint32_t input_pos,
                     const SdpaOptions& options) {
  Tensor out(*impl_->ctx, q.shape(), "out");
  forward(q, k_new, v_new, cache, input_pos, out, options);
  return out;
}

}  // namespace webattn
