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

// Everything about a call that does not depend on input_pos: checked shapes, the
// algorithm, the kernels' variants and tunables. forward() and plans share it.
struct Recipe {
  Algorithm algo = Algorithm::Auto;
  uint32_t seq_len = 0, q_heads = 0;
  KVCacheConfig cache;
  float scale = 0;
  bool causal = true;
  std::string kv;  // cache-reading prelude
  attention::CacheWindows windows;  // how the cache is bound (fixed per cache and device)
  uint32_t split_workgroups = 0, flash_bc = 0, flash_tx = 0;
  bool profile = false, span_only = false;
  int repeat = 1;

  attention::KernelParams params(uint32_t input_pos) const {
    attention::KernelParams prm;
    prm.seq_len = seq_len;
    prm.q_heads = q_heads;
    prm.kv_heads = cache.kv_heads;
    prm.head_dim = cache.head_dim;
    prm.input_pos = input_pos;
    prm.context_len = input_pos + seq_len;
    prm.causal = causal ? 1u : 0u;
    prm.scale = scale;
    return prm;
  }
  void check_position(uint32_t input_pos, uint64_t limit, const char* what) const {
    if (uint64_t{input_pos} + seq_len > limit)
      throw ShapeError("input_pos " + std::to_string(input_pos) + " + S " + std::to_string(seq_len) + " exceeds " +
                       what + " " + std::to_string(limit));
  }
};

// Tensors of a call; plans hold copies (sharing the buffers) so nothing dangles.
struct Operands {
  Tensor q, k_new, v_new;
  KVCache cache;
  Tensor out;
};

// The checks that need no tensors (forward, plan and validate share them): S rows of Hq
// heads against a (valid) cache config, then the options on this device, which returns
// the algorithm that will run.
void check_rows(uint32_t S, uint32_t Hq, const KVCacheConfig& c) {
  if (S == 0) throw ShapeError("S (q.shape[0]) must be at least 1, got 0");
  if (Hq == 0 || Hq % c.kv_heads != 0)
    throw ShapeError("q_heads " + std::to_string(Hq) + " must be a positive multiple of kv_heads " +
                     std::to_string(c.kv_heads));
}

Algorithm check_options(const Sdpa& sdpa, const gpu::Device& dev, uint32_t S, uint32_t Hq, const KVCacheConfig& c,
                        const SdpaOptions& options) {
  if (!(options.scale >= 0) || !std::isfinite(options.scale))
    throw ShapeError("scale must be finite and >= 0 (0 = 1/sqrt(D)), got " + std::to_string(options.scale));
  if (options.repeat < 1) throw ShapeError("repeat must be at least 1, got " + std::to_string(options.repeat));
  const Algorithm algo = options.algorithm == Algorithm::Auto ? sdpa.choose(S, 0, c, Hq) : options.algorithm;
  std::string why;
  if (algo == Algorithm::FlashPrefill && !attention::flash_prefill_supported(dev, c.head_dim, &why))
    throw UnsupportedError(why);
  if (algo == Algorithm::SplitKvDecode && !attention::split_kv_supported(dev, S * (Hq / c.kv_heads), c.head_dim, &why))
    throw UnsupportedError(why);
  return algo;
}

Recipe make_recipe(const Sdpa& sdpa, const Context& ctx, const Tuning& tune, const Operands& op,
                   const SdpaOptions& options) {
  const auto& c = op.cache.config();
  if (&op.cache.context().device() != &ctx.device())
    throw ShapeError("the KV cache belongs to another Context than this Sdpa");
  for (const Tensor* t : {&op.q, &op.k_new, &op.v_new, &op.out})
    if (&t->buffer().device() != &ctx.device())
      throw ShapeError("tensor '" + t->label() + "' belongs to another Context than this Sdpa");
  const auto& qs = op.q.shape();
  if (qs.size() != 3) throw ShapeError("q must be [S, Hq, D], got " + shape_string(qs));
  const uint32_t S = qs[0], Hq = qs[1], D = qs[2];
  check_rows(S, Hq, c);
  if (D != c.head_dim)
    throw ShapeError("q head_dim " + std::to_string(D) + " differs from the cache's " + std::to_string(c.head_dim));
  expect_shape(op.k_new, "k_new", {S, c.kv_heads, D}, "[S, Hkv, D]");
  expect_shape(op.v_new, "v_new", {S, c.kv_heads, D}, "[S, Hkv, D]");
  expect_shape(op.out, "out", {S, Hq, D}, "[S, Hq, D]");
  // WebGPU forbids one buffer being bound writable and read in the same pass, even at
  // disjoint ranges; host views of one buffer can only meet that way.
  const auto shares = [](const gpu::Buffer& a, const gpu::Buffer& b) { return a.handle() == b.handle(); };
  for (const auto& [reader, name] : {std::pair<const gpu::Buffer*, const char*>{&op.q.buffer(), "q"},
                                     {&op.cache.keys(), "the K cache"}, {&op.cache.values(), "the V cache"}})
    if (shares(op.out.buffer(), *reader))
      throw ShapeError(std::string("out and ") + name + " are in the same WGPUBuffer; webattn writes out in a pass "
                       "that reads " + name + ", which WebGPU forbids within one buffer: put out in another buffer");
  for (const Tensor* t : {&op.k_new, &op.v_new})
    for (const gpu::Buffer* c : {&op.cache.keys(), &op.cache.values()})
      if (shares(t->buffer(), *c))
        throw ShapeError("'" + t->label() + "' and the KV cache are in the same WGPUBuffer; the cache update writes "
                         "the cache in a pass that reads it, which WebGPU forbids within one buffer");
  const Algorithm algo = check_options(sdpa, ctx.device(), S, Hq, c, options);

  Recipe r;
  r.seq_len = S;
  r.q_heads = Hq;
  r.cache = c;
  r.algo = algo;
  auto& dev = ctx.device();
  r.scale = options.scale > 0 ? options.scale : static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
  r.causal = options.causal;
  const bool native_f16 = tune.native_f16 && c.dtype == DType::F16 && ctx.has_shader_f16();
  r.kv = attention::kv_prelude(c.dtype, native_f16);
  r.windows = attention::cache_windows(dev, c);
  r.split_workgroups = options.split_kv_workgroups ? options.split_kv_workgroups : tune.split_kv_workgroups;
  r.flash_bc = options.flash_keys_per_tile ? options.flash_keys_per_tile : tune.flash_keys_per_tile;
  r.flash_tx = options.flash_threads_x ? options.flash_threads_x : tune.flash_threads_x;
  r.profile = options.profile;
  r.span_only = options.profile_span_only;
  r.repeat = options.repeat;
  return r;
}

// The cache update and the algorithm's passes for one step (repeat times).
void record_step(gpu::Recorder& rec, attention::Workspace& ws, const Recipe& r, Operands& op, uint32_t input_pos) {
  attention::Problem pb{op.q, op.cache, op.out, r.params(input_pos), r.kv, r.windows};
  if (r.span_only) rec.mark("begin");
  for (int i = 0; i < r.repeat; ++i) {
    attention::encode_cache_update(rec, op.cache, op.k_new, op.v_new, input_pos);
    switch (r.algo) {
      case Algorithm::ThreePassStrided: attention::encode_three_pass(rec, ws, pb, false); break;
      case Algorithm::ThreePassCoalesced: attention::encode_three_pass(rec, ws, pb, true); break;
      case Algorithm::FlashPrefill: attention::encode_flash_prefill(rec, pb, r.flash_bc, r.flash_tx); break;
      case Algorithm::SplitKvDecode: attention::encode_split_kv(rec, ws, pb, r.split_workgroups); break;
      case Algorithm::Auto: break;
    }
  }
  if (r.span_only) rec.mark("end");
}

ForwardInfo collect(gpu::Recorder& rec, const Recipe& r) {
  ForwardInfo info;
  info.algorithm = r.algo;
  if (r.profile)
    for (const auto& t : rec.timings()) info.stages.push_back({t.label, t.ms, t.start_ms});
  return info;
}

}  // namespace

ForwardInfo Sdpa::forward(const Tensor& q, const Tensor& k_new, const Tensor& v_new, KVCache& cache,
                          uint32_t input_pos, Tensor& out, const SdpaOptions& options) {
  Operands op{q, k_new, v_new, cache, out};
  const Recipe r = make_recipe(*this, *impl_->ctx, impl_->tuning, op, options);
  r.check_position(input_pos, cache.config().capacity, "cache capacity");
  gpu::Recorder rec(impl_->ctx->device(), r.profile, r.span_only);
  record_step(rec, impl_->workspace, r, op, input_pos);
  rec.submit();
  return collect(rec, r);
}

Tensor Sdpa::forward(const Tensor& q, const Tensor& k_new, const Tensor& v_new, KVCache& cache, uint32_t input_pos,
                     const SdpaOptions& options) {
  Tensor out(*impl_->ctx, q.shape(), "out");
  forward(q, k_new, v_new, cache, input_pos, out, options);
  return out;
}

void Sdpa::validate(uint32_t seq_len, uint32_t q_heads, uint32_t input_pos, const KVCacheConfig& cache,
                    const SdpaOptions& options) const {
  const Context& ctx = *impl_->ctx;
  attention::validate_cache(ctx, cache);
  check_rows(seq_len, q_heads, cache);
  const Algorithm algo = check_options(*this, ctx.device(), seq_len, q_heads, cache, options);
  if (options.max_context > cache.capacity)
    throw ShapeError("max_context " + std::to_string(options.max_context) + " exceeds cache capacity " +
                     std::to_string(cache.capacity));
  if (uint64_t{input_pos} + seq_len > cache.capacity)
    throw ShapeError("input_pos " + std::to_string(input_pos) + " + S " + std::to_string(seq_len) +
                     " exceeds cache capacity " + std::to_string(cache.capacity));
  // q and out are bound whole by every algorithm; k_new / v_new are written in pieces, so
  // only their buffers' size is limited.
  const auto& lim = ctx.device().limits();
  const auto tensor_limit = [&](const char* name, uint32_t heads, uint64_t limit, const char* limit_name) {
    uint64_t bytes = 0;  // S * heads * D * 4 may overflow 64 bits for absurd heads
    const bool overflow = __builtin_mul_overflow(uint64_t{seq_len} * heads, uint64_t{cache.head_dim} * 4, &bytes);
    if (overflow || bytes > limit)
      throw UnsupportedError(std::string(name) + " " + shape_string({seq_len, heads, cache.head_dim}) + " needs " +
                             (overflow ? std::string("over 2^64") : std::to_string(bytes)) +
                             " bytes, over this device's " + limit_name + " " + std::to_string(limit));
  };
  tensor_limit("q", q_heads, lim.max_storage_buffer_binding_size, "maxStorageBufferBindingSize");
  tensor_limit("k_new", cache.kv_heads, lim.max_buffer_size, "maxBufferSize");
  if (algo == Algorithm::ThreePassStrided || algo == Algorithm::ThreePassCoalesced) {
    const uint32_t context = std::max(input_pos + seq_len, options.max_context);
    std::string why;
    if (!attention::three_pass_supported(ctx.device(), q_heads, seq_len, context, &why)) throw UnsupportedError(why);
  }
}

struct SdpaPlan::Impl {
  std::shared_ptr<gpu::Device> device;  // outlives the objects below
  Operands op;
  Recipe recipe;
  uint32_t max_context = 0;
  size_t passes = 0;
  attention::Workspace workspace;
  gpu::EncodeCache cache;
  Impl(Context& ctx, Operands operands) : device(ctx.shared_device()), op(std::move(operands)),
                                          workspace(ctx.device()), cache(ctx.device()) {}
};

SdpaPlan Sdpa::plan(const Tensor& q, const Tensor& k_new, const Tensor& v_new, KVCache& cache, Tensor& out,
                    const SdpaOptions& options) const {
  auto impl = std::make_unique<SdpaPlan::Impl>(*impl_->ctx, Operands{q, k_new, v_new, cache, out});
  Recipe& r = impl->recipe;
  r = make_recipe(*this, *impl_->ctx, impl_->tuning, impl->op, options);
  const uint32_t capacity = cache.config().capacity;
  if (options.max_context > capacity)
    throw ShapeError("max_context " + std::to_string(options.max_context) + " exceeds cache capacity " +
                     std::to_string(capacity));
  impl->max_context = options.max_context ? options.max_context : capacity;
  if (impl->max_context < r.seq_len)
    throw ShapeError("max_context " + std::to_string(impl->max_context) + " is shorter than S " +
                     std::to_string(r.seq_len));
  const attention::KernelParams prm = r.params(0);
  auto& dev = impl_->ctx->device();
  if (r.algo == Algorithm::ThreePassStrided || r.algo == Algorithm::ThreePassCoalesced)
    attention::reserve_three_pass(impl->workspace, dev, prm, impl->max_context);
  if (r.algo == Algorithm::SplitKvDecode)
    attention::reserve_split_kv(impl->workspace, prm, impl->max_context, r.split_workgroups);
  // Record the longest step once without submitting it: this compiles the pipelines and
  // makes every bind group and parameter buffer the steps will reuse.
  gpu::Recorder rec(dev, r.profile, r.span_only, &impl->cache);
  record_step(rec, impl->workspace, r, impl->op, impl->max_context - r.seq_len);
  impl->passes = rec.passes();
  rec.discard();
  return SdpaPlan(std::move(impl));
}

SdpaPlan::SdpaPlan(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SdpaPlan::SdpaPlan(SdpaPlan&&) noexcept = default;
SdpaPlan& SdpaPlan::operator=(SdpaPlan&&) noexcept = default;
SdpaPlan::~SdpaPlan() = default;
Algorithm SdpaPlan::algorithm() const { return impl_->recipe.algo; }
uint32_t SdpaPlan::seq_len() const { return impl_->recipe.seq_len; }
uint32_t SdpaPlan::max_context() const { return impl_->max_context; }
size_t SdpaPlan::passes_per_step() const { return impl_->passes; }

ForwardInfo SdpaPlan::run(uint32_t input_pos) {
  const Recipe& r = impl_->recipe;
  r.check_position(input_pos, impl_->max_context, "the plan's max_context");
  gpu::Recorder rec(*impl_->device, r.profile, r.span_only, &impl_->cache);
  record_step(rec, impl_->workspace, r, impl_->op, input_pos);
  rec.submit();
  return collect(rec, r);
}

void SdpaPlan::encode(WGPUCommandEncoder encoder, uint32_t input_pos) {
  const Recipe& r = impl_->recipe;
  r.check_position(input_pos, impl_->max_context, "the plan's max_context");
  // A host's encoder carries no webattn timestamps: the Recorder ignores marks there.
  gpu::Recorder rec(*impl_->device, encoder, &impl_->cache);
  record_step(rec, impl_->workspace, r, impl_->op, input_pos);
  rec.submit();
}

}  // namespace webattn
