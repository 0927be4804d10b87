// Sdpa: validates a call, lets the planner pick an algorithm, records the cache
// update and the algorithm's passes into one submission, and (if asked) times them.
#include <algorithm>
#include <cmath>

#include "attention/launch.hpp"

namespace webattn {

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
  explicit Impl(Context& c) : ctx(&c), workspace(gpu_device(c)), tuning(load_tuning(tuning_path(), c.adapter())) {}
};

Sdpa::Sdpa(Context& ctx) : impl_(std::make_unique<Impl>(ctx)) {}
Sdpa::~Sdpa() = default;

const gpu::Buffer& sdpa_scratch(const Sdpa& s, const std::string& name) {
  return detail::Access::impl(s)->workspace.at(name);
}
const Tuning& Sdpa::tuning() const { return impl_->tuning; }
void Sdpa::set_tuning(const Tuning& tuning) {
  attention::validate_tuning(tuning);
  impl_->tuning = tuning;
}

Algorithm Sdpa::choose(uint32_t seq_len, uint32_t input_pos, const KVCacheConfig& cache, uint32_t q_heads) const {
  // The checks of validate() (a zero kv_heads, S = 0, input_pos + S past the capacity or 2^32
  // are ShapeErrors, not a division by zero or a made-up answer); default options.
  return validate(seq_len, q_heads, input_pos, cache, {}, {});
}

namespace {

void expect_shape(const Tensor& t, const char* name, const std::vector<uint32_t>& want, const char* pattern) {
  if (t.shape() != want)
    throw ShapeError(std::string(name) + " must be " + pattern + " = " + shape_string(want) + ", got " +
                     shape_string(t.shape()));
}

using attention::check_position;

// Everything about a call that does not depend on input_pos, checked: shapes, options,
// the algorithm's entry. forward(), plans and validate() share it; no GPU work.
struct Recipe {
  attention::CallShape shape;
  attention::Settings settings;
  const attention::AlgorithmEntry* entry = nullptr;
  bool profile = false, span_only = false;
  int repeat = 1;
};

// The checks that need no tensors: S, heads, options, the context range and the algorithm.
Recipe make_recipe(const Context& ctx, const Tuning& tune, uint32_t S, uint32_t Hq, const KVCacheConfig& c,
                   uint32_t min_context, uint32_t max_context, const SdpaOptions& options) {
  if (S == 0) throw ShapeError("S (q.shape[0]) must be at least 1, got 0");
  if (Hq == 0 || Hq % c.kv_heads != 0)
    throw ShapeError("q_heads " + std::to_string(Hq) + " must be a positive multiple of kv_heads " +
                     std::to_string(c.kv_heads));
  Recipe r;
  if (!options.sinks.empty() && options.sinks.size() != Hq)
    throw ShapeError("sinks has " + std::to_string(options.sinks.size()) + " values; expected none or one per query head (" +
                     std::to_string(Hq) + ")");
  if (!options.alibi_slopes.empty() && options.alibi_slopes.size() != Hq)
    throw ShapeError("alibi_slopes has " + std::to_string(options.alibi_slopes.size()) +
                     " values; expected none (the paper's slopes) or one per query head (" + std::to_string(Hq) + ")");
  r.settings = attention::resolve_settings(options, tune, c, ctx.has_shader_f16());
  r.shape = {S, Hq, c, min_context, max_context};
  r.entry = &attention::select(options.algorithm, r.shape, r.settings, ctx.adapter());
  r.profile = options.profile;
  r.span_only = options.profile_span_only;
  r.repeat = options.repeat;
  return r;
}

// A plan's longest context: options.max_context, or the cache capacity.
uint32_t plan_max_context(uint32_t S, uint32_t capacity, const SdpaOptions& options) {
  if (options.max_context > capacity)
    throw ShapeError("max_context " + std::to_string(options.max_context) + " exceeds cache capacity " +
                     std::to_string(capacity));
  const uint32_t max_context = options.max_context ? options.max_context : capacity;
  if (max_context < S)
    throw ShapeError("max_context " + std::to_string(max_context) + " is shorter than S " + std::to_string(S));
  return max_context;
}

using attention::Operands;

// The tensor checks: devices, shapes against q and the cache, buffers that may not alias.
void check_operands(const Context& ctx, const Operands& op) {
  const auto& c = op.cache.config();
  if (&gpu_device(op.cache.context()) != &gpu_device(ctx))
    throw ShapeError("the KV cache belongs to another Context than this Sdpa");
  for (const Tensor* t : {&op.q, &op.k_new, &op.v_new, &op.out})
    if (&gpu_buffer(*t).device() != &gpu_device(ctx))
      throw ShapeError("tensor '" + t->label() + "' belongs to another Context than this Sdpa");
  const auto& qs = op.q.shape();
  if (qs.size() != 3) throw ShapeError("q must be [S, Hq, D], got " + shape_string(qs));
  const uint32_t S = qs[0], Hq = qs[1], D = qs[2];
  if (S == 0) throw ShapeError("S (q.shape[0]) must be at least 1, got 0");
  if (D != c.head_dim)
    throw ShapeError("q head_dim " + std::to_string(D) + " differs from the cache's " + std::to_string(c.head_dim));
  if (Hq == 0 || Hq % c.kv_heads != 0)
    throw ShapeError("q_heads " + std::to_string(Hq) + " must be a positive multiple of kv_heads " +
                     std::to_string(c.kv_heads));
  expect_shape(op.k_new, "k_new", {S, c.kv_heads, D}, "[S, Hkv, D]");
  expect_shape(op.v_new, "v_new", {S, c.kv_heads, D}, "[S, Hkv, D]");
  expect_shape(op.out, "out", {S, Hq, D}, "[S, Hq, D]");
  // WebGPU forbids one buffer being bound writable and read in the same pass, even at
  // disjoint ranges; host views of one buffer can only meet that way.
  const auto shares = [](const gpu::Buffer& a, const gpu::Buffer& b) { return a.handle() == b.handle(); };
  for (const auto& [reader, name] : {std::pair<const gpu::Buffer*, const char*>{&gpu_buffer(op.q), "q"},
                                     {&gpu_keys(op.cache), "the K cache"}, {&gpu_values(op.cache), "the V cache"}})
    if (shares(gpu_buffer(op.out), *reader))
      throw ShapeError(std::string("out and ") + name + " are in the same WGPUBuffer; webattn writes out in a pass "
                       "that reads " + name + ", which WebGPU forbids within one buffer: put out in another buffer");
  if (op.lse) {
    if (&gpu_buffer(*op.lse).device() != &gpu_device(ctx))
      throw ShapeError("tensor '" + op.lse->label() + "' (lse) belongs to another Context than this Sdpa");
    expect_shape(*op.lse, "lse", {S, Hq}, "[S, Hq]");
    if (op.lse->dtype() != DType::F32)
      throw ShapeError(std::string("lse ('") + op.lse->label() + "') must be f32, got " + to_string(op.lse->dtype()));
    for (const auto& [other, name] : {std::pair<const gpu::Buffer*, const char*>{&gpu_buffer(op.q), "q"},
                                      {&gpu_keys(op.cache), "the K cache"}, {&gpu_values(op.cache), "the V cache"},
                                      {&gpu_buffer(op.out), "out"}})
      if (shares(gpu_buffer(*op.lse), *other))
        throw ShapeError(std::string("lse and ") + name + " are in the same WGPUBuffer; webattn writes lse in the "
                         "pass that reads or writes " + name + ": put lse in another buffer");
  }
  if (op.mask) {
    if (&gpu_buffer(*op.mask).device() != &gpu_device(ctx))
      throw ShapeError("tensor '" + op.mask->label() + "' (mask) belongs to another Context than this Sdpa");
    if (op.mask->dtype() != DType::F32)  // fp32 values or u32 words: 4-byte elements either way
      throw ShapeError(std::string("mask ('") + op.mask->label() + "') must be f32 (additive values, or u32 bit words "
                       "stored as f32 elements), got " + to_string(op.mask->dtype()));
    if (op.mask->shape().size() != 2 || op.mask->shape()[0] != S)
      throw ShapeError("mask must be [S, L] = [" + std::to_string(S) + ", L], got " + shape_string(op.mask->shape()));
    // (the caches too: kept apart so that a pass writing them may also read the mask)
    for (const auto& [other, name] : {std::pair<const gpu::Buffer*, const char*>{&gpu_buffer(op.out), "out"},
                                      {op.lse ? &gpu_buffer(*op.lse) : nullptr, "lse"},
                                      {&gpu_keys(op.cache), "the K cache"}, {&gpu_values(op.cache), "the V cache"}})
      if (other && shares(gpu_buffer(*op.mask), *other))
        throw ShapeError(std::string("mask and ") + name + " are in the same WGPUBuffer; webattn reads the mask in "
                         "a pass that writes " + name + ": put the mask in another buffer");
  }
  for (const Tensor* t : {&op.k_new, &op.v_new, &op.q})
    for (const gpu::Buffer* c : {&gpu_keys(op.cache), &gpu_values(op.cache)})
      if (shares(gpu_buffer(*t), *c))
        throw ShapeError("'" + t->label() + "' and the KV cache are in the same WGPUBuffer; the cache update writes "
                         "the cache in a pass that reads it (split-kv's merge reads q, k_new and v_new there), which "
                         "WebGPU forbids within one buffer");
  // split-kv's merge also writes out (and lse) in the pass that reads k_new and v_new.
  for (const Tensor* t : {&op.k_new, &op.v_new})
    for (const auto& [w, name] : {std::pair<const gpu::Buffer*, const char*>{&gpu_buffer(op.out), "out"},
                                  {op.lse ? &gpu_buffer(*op.lse) : nullptr, "lse"}})
      if (w && shares(gpu_buffer(*t), *w))
        throw ShapeError("'" + t->label() + "' and " + name + " are in the same WGPUBuffer; webattn writes " + name +
                         " in a pass that reads it, which WebGPU forbids within one buffer: put " + name +
                         " in another buffer");
}

// A recipe made ready to encode: scratch reserved, the update's and the algorithm's passes prepared.
struct Prepared {
  Recipe recipe;
  std::vector<attention::PreparedPass> update, passes;

  Prepared(Context& ctx, attention::Workspace& ws, Recipe r, const Operands& op) : recipe(std::move(r)) {
    auto& dev = gpu_device(ctx);
    const auto& entry = *recipe.entry;
    for (const attention::Scratch& s : entry.scratch(recipe.shape, recipe.settings, ctx.adapter()))
      ws.get(s.name, s.bytes);
    const auto windows = attention::cache_windows(dev, recipe.shape.cache);
    const std::string kv = attention::kv_prelude(recipe.shape.cache.dtype, recipe.settings.native_f16);
    const attention::PrepareInputs in{dev, recipe.shape, recipe.settings, op, ws, windows, kv};
    if (!entry.updates_cache || !entry.updates_cache(in))
      update = attention::prepare_cache_update(dev, op.cache, op.k_new, op.v_new);
    passes = entry.prepare(in);
  }

  // The cache update and the algorithm's passes for one step (repeat times).
  void encode(gpu::Recorder& rec, uint32_t input_pos) const {
    if (recipe.span_only) rec.mark("begin");
    for (int i = 0; i < recipe.repeat; ++i) encode_once(rec, input_pos);
    if (recipe.span_only) rec.mark("end");
  }
  void encode_once(gpu::Recorder& rec, uint32_t input_pos) const {
    const attention::KernelParams common = attention::common_params(recipe.shape, recipe.settings, input_pos);
    attention::encode_passes(rec, update, common);
    attention::encode_passes(rec, passes, common);
  }

  size_t passes_per_step() const { return recipe.repeat * (update.size() + passes.size()); }

  ForwardInfo collect(gpu::Recorder& rec) const {
    ForwardInfo info;
    info.algorithm = recipe.entry->id;
    if (recipe.profile)
      for (const auto& t : rec.timings()) info.stages.push_back({t.label, t.ms, t.start_ms});
    return info;
  }
};

}  // namespace

Algorithm Sdpa::validate(uint32_t seq_len, uint32_t q_heads, uint32_t input_pos, const KVCacheConfig& cache,
                         const SdpaOptions& options, const ActivationDTypes& act) const {
  const DeviceLimits& lim = impl_->ctx->adapter().limits;
  for (const auto& [name, dtype] : {std::pair<const char*, DType>{"q", act.q}, {"k_new", act.k_new},
                                    {"v_new", act.v_new}, {"out", act.out}})
    if (dtype != DType::F32 && dtype != DType::F16)
      throw ShapeError(std::string(name) + " dtype " + std::to_string(static_cast<int>(dtype)) +
                       " is not allowed; allowed: f32, f16");
  attention::validate_cache_config(lim, cache);
  check_position(input_pos, seq_len, cache.capacity, "cache capacity");
  uint32_t min_context = input_pos + seq_len, max_context = min_context;
  if (options.max_context) {  // the plan such a call would be a step of
    max_context = plan_max_context(seq_len, cache.capacity, options);
    check_position(input_pos, seq_len, max_context, "the plan's max_context");
    min_context = seq_len;
  }
  const Algorithm algo =
      make_recipe(*impl_->ctx, impl_->tuning, seq_len, q_heads, cache, min_context, max_context, options).entry->id;
  if (options.mask)
    attention::check_mask_columns(
        attention::resolve_settings(options, impl_->tuning, cache, impl_->ctx->has_shader_f16()), max_context,
        options.max_context ? "the plan's max_context" : "the context input_pos + S");
  // q and out are bound whole by every algorithm; k_new / v_new are written in pieces, so
  // only their buffers' size is limited.
  const auto tensor_limit = [&](const char* name, DType dtype, uint32_t heads, uint64_t limit, const char* limit_name) {
    uint64_t bytes = 0;  // S * heads * D * 4 may overflow 64 bits for absurd heads
    const uint64_t elem = dtype == DType::F16 ? 2 : 4;
    const bool overflow = __builtin_mul_overflow(uint64_t{seq_len} * heads, uint64_t{cache.head_dim} * elem, &bytes);
    if (overflow || bytes > limit)
      throw UnsupportedError(std::string(name) + " " + shape_string({seq_len, heads, cache.head_dim}) + " needs " +
                             (overflow ? std::string("over 2^64") : std::to_string(bytes)) + " bytes, over this device's " +
                             limit_name + " " + std::to_string(limit));
  };
  tensor_limit("q", act.q, q_heads, lim.max_storage_buffer_binding_size, "maxStorageBufferBindingSize");
  tensor_limit("out", act.out, q_heads, lim.max_storage_buffer_binding_size, "maxStorageBufferBindingSize");
  tensor_limit("k_new", act.k_new, cache.kv_heads, lim.max_buffer_size, "maxBufferSize");
  tensor_limit("v_new", act.v_new, cache.kv_heads, lim.max_buffer_size, "maxBufferSize");
  return algo;
}

ForwardInfo Sdpa::forward(const Tensor& q, const Tensor& k_new, const Tensor& v_new, KVCache& cache,
                          uint32_t input_pos, Tensor& out, const SdpaOptions& options) {
  Operands op{q, k_new, v_new, cache, out, std::nullopt, std::nullopt};
  if (options.lse) op.lse = *options.lse;
  if (options.mask) op.mask = *options.mask;
  check_operands(*impl_->ctx, op);
  const uint32_t S = q.shape()[0];
  check_position(input_pos, S, cache.config().capacity, "cache capacity");
  const uint32_t context = input_pos + S;
  Recipe recipe = make_recipe(*impl_->ctx, impl_->tuning, S, q.shape()[1], cache.config(), context, context, options);
  attention::check_mask_columns(recipe.settings, context, "the context input_pos + S");
  const Prepared prep(*impl_->ctx, impl_->workspace, std::move(recipe), op);
  gpu::Recorder rec(gpu_device(*impl_->ctx), prep.recipe.profile, prep.recipe.span_only);
  prep.encode(rec, input_pos);
  rec.submit();
  return prep.collect(rec);
}

Tensor Sdpa::forward(const Tensor& q, const Tensor& k_new, const Tensor& v_new, KVCache& cache, uint32_t input_pos,
                     const SdpaOptions& options) {
  Tensor out(*impl_->ctx, q.shape(), "out", q.dtype());
  forward(q, k_new, v_new, cache, input_pos, out, options);
  return out;
}

// A plan owns its operands, scratch and prepared passes; a step fills parameters and encodes.
struct SdpaPlan::Impl {
  std::shared_ptr<gpu::Device> device;  // outlives the objects below
  Operands op;
  uint32_t max_context = 0;
  attention::Workspace workspace;
  gpu::EncodeCache cache;
  std::unique_ptr<Prepared> prepared;
  Impl(Context& ctx, Operands operands)
      : device(gpu_shared_device(ctx)), op(std::move(operands)), workspace(gpu_device(ctx)), cache(gpu_device(ctx)) {}

  void check_position(uint32_t input_pos) const {
    attention::check_position(input_pos, prepared->recipe.shape.seq_len, max_context, "the plan's max_context");
  }
};

SdpaPlan Sdpa::plan(const Tensor& q, const Tensor& k_new, const Tensor& v_new, KVCache& cache, Tensor& out,
                    const SdpaOptions& options) const {
  Operands plan_op{q, k_new, v_new, cache, out, std::nullopt, std::nullopt};
  if (options.lse) plan_op.lse = *options.lse;
  if (options.mask) plan_op.mask = *options.mask;
  auto impl = std::make_unique<SdpaPlan::Impl>(*impl_->ctx, std::move(plan_op));
  check_operands(*impl_->ctx, impl->op);
  const uint32_t S = q.shape()[0];
  impl->max_context = plan_max_context(S, cache.config().capacity, options);
  Recipe recipe = make_recipe(*impl_->ctx, impl_->tuning, S, q.shape()[1], cache.config(), S, impl->max_context, options);
  attention::check_mask_columns(recipe.settings, impl->max_context, "the plan's max_context");
  impl->prepared = std::make_unique<Prepared>(*impl_->ctx, impl->workspace, std::move(recipe), impl->op);
  // Record the longest step once without submitting it: this makes every bind group and
  // parameter buffer the steps will reuse (and surfaces Dawn's validation errors now).
  gpu::Recorder rec(*impl->device, options.profile, options.profile_span_only, &impl->cache);
  impl->prepared->encode(rec, impl->max_context - S);
  rec.discard();
  return SdpaPlan(std::move(impl));
}

SdpaPlan::SdpaPlan(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SdpaPlan::SdpaPlan(SdpaPlan&&) noexcept = default;
SdpaPlan& SdpaPlan::operator=(SdpaPlan&&) noexcept = default;
SdpaPlan::~SdpaPlan() = default;
// A moved-from plan has no Impl: every use throws instead of dereferencing it.
const SdpaPlan::Impl& SdpaPlan::impl() const {
  if (!impl_) throw ShapeError("this SdpaPlan was moved from: it has no plan (use the plan it was moved into)");
  return *impl_;
}
Algorithm SdpaPlan::algorithm() const { return impl().prepared->recipe.entry->id; }
uint32_t SdpaPlan::seq_len() const { return impl().prepared->recipe.shape.seq_len; }
uint32_t SdpaPlan::max_context() const { return impl().max_context; }
size_t SdpaPlan::passes_per_step() const { return impl().prepared->passes_per_step(); }

ForwardInfo SdpaPlan::run(uint32_t input_pos) {
  impl().check_position(input_pos);
  const Prepared& p = *impl_->prepared;
  gpu::Recorder rec(*impl_->device, p.recipe.profile, p.recipe.span_only, &impl_->cache);
  p.encode(rec, input_pos);
  rec.submit();
  return p.collect(rec);
}

ForwardInfo SdpaPlan::run_steps(const std::vector<SdpaPlan*>& plans, uint32_t input_pos, int repeat, bool profile) {
  if (plans.empty()) throw ShapeError("run_steps: no plans given");
  if (repeat < 1) throw ShapeError("run_steps: repeat must be at least 1, got " + std::to_string(repeat));
  for (size_t i = 0; i < plans.size(); ++i) {
    if (!plans[i] || !plans[i]->impl_) throw ShapeError("run_steps: plan " + std::to_string(i) + " is null");
    if (plans[i]->impl_->device != plans[0]->impl_->device)
      throw ShapeError("run_steps: plan " + std::to_string(i) + " belongs to another Context than plan 0");
    plans[i]->impl_->check_position(input_pos);
  }
  // Each plan's passes take the bind groups and parameter buffers its own plan() made
  // (use_cache), so the submission creates none; the timestamps are plan 0's.
  gpu::Recorder rec(*plans[0]->impl_->device, profile, true, &plans[0]->impl_->cache);
  rec.mark("begin");
  for (int r = 0; r < repeat; ++r)
    for (SdpaPlan* p : plans) {
      rec.use_cache(p->impl_->cache);
      p->impl_->prepared->encode_once(rec, input_pos);
    }
  rec.mark("end");
  rec.submit();
  ForwardInfo info;
  info.algorithm = plans[0]->algorithm();
  if (profile)
    for (const auto& t : rec.timings()) info.stages.push_back({t.label, t.ms, t.start_ms});
  return info;
}

void SdpaPlan::encode(WGPUCommandEncoder encoder, uint32_t input_pos) {
  impl().check_position(input_pos);
  // A host's encoder carries no webattn timestamps: the Recorder ignores marks there.
  gpu::Recorder rec(*impl_->device, encoder, &impl_->cache);
  impl_->prepared->encode(rec, input_pos);
  rec.submit();
}

}  // namespace webattn
