// Scaled-dot-product attention with a KV cache.
//
//   KVCache cache(ctx, {.capacity = 4096, .kv_heads = 8, .head_dim = 128});
//   Sdpa sdpa(ctx);
//   sdpa.forward(q, k_new, v_new, cache, input_pos, out);   // out [S, Hq, D]
//
// forward() writes k_new/v_new [S, Hkv, D] into the cache at input_pos, then computes
// out = softmax(q·Kᵀ·scale + causal mask)·V over cache positions 0 .. input_pos+S-1.
// Query row s (absolute position input_pos + s) sees positions 0 .. input_pos + s.
// Query head h reads kv head h / (Hq / Hkv).
//
// Activations: q, k_new, v_new and out may each be F32 or F16 (Tensor::dtype), independently
// of each other and of the cache's dtype; kernels convert as they load and store (no extra
// passes), all arithmetic is fp32. An F16 out is the fp32 result rounded once to the nearest
// half (past 65504 from 65520 on: +-Inf); see verify::tolerance for the accuracy limits.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "webattn/context.hpp"
#include "webattn/tensor.hpp"

namespace webattn {

struct KVCacheConfig {
  uint32_t capacity = 0;   // C: positions the cache holds
  uint32_t kv_heads = 0;   // Hkv
  uint32_t head_dim = 0;   // D, a multiple of 4
  DType dtype = DType::F32;  // F16: IEEE half packed two per u32 (no shader-f16 needed)
};

class KVCache {
 public:
  KVCache(Context& ctx, const KVCacheConfig& config);
  // Embedding: K and V caches living in a host's buffers, each [capacity, Hkv, D] of the
  // config's dtype (f32, or IEEE halves packed two per u32 for F16) starting at the
  // given byte offsets (multiples of minStorageBufferOffsetAlignment). Same usage rules
  // as Tensor::wrap; the two ranges must not overlap.
  static KVCache wrap(Context& ctx, const KVCacheConfig& config, WGPUBuffer keys, uint64_t keys_offset,
                      WGPUBuffer values, uint64_t values_offset);
  const KVCacheConfig& config() const { return config_; }
  uint64_t bytes_per_position() const;  // one cache (K or V), all kv heads
  uint64_t bytes() const { return bytes_per_position() * config_.capacity; }  // one cache (K or V)

  // Standalone cache update (forward() does this itself).
  void update(const Tensor& k_new, const Tensor& v_new, uint32_t input_pos);
  // The stored K / V as fp32 ([capacity, Hkv, D]; f16 caches are widened).
  std::vector<float> download_keys() const;
  std::vector<float> download_values() const;

  Context& context() const { return *ctx_; }

 private:
  friend struct detail::Access;
  KVCache(Context& ctx, const KVCacheConfig& config, std::shared_ptr<gpu::Buffer> keys,
          std::shared_ptr<gpu::Buffer> values);
  Context* ctx_;
  KVCacheConfig config_;
  std::shared_ptr<gpu::Buffer> keys_, values_;
};

// The dtypes of a call's activation tensors: what Sdpa::validate checks in their place.
struct ActivationDTypes {
  DType q = DType::F32, k_new = DType::F32, v_new = DType::F32, out = DType::F32;
};

enum class Algorithm {
  Auto,                // the planner picks (see Sdpa::choose)
  ThreePassStrided,    // scores, softmax, AV with strided V reads (the published "before")
  ThreePassCoalesced,  // scores, softmax, AV with coalesced V reads (the published "after")
  FlashPrefill,        // fused online-softmax kernel, GQA-packed, causal tile skipping
  SplitKvDecode,       // FlashDecoding: context split in chunks + log-sum-exp reduce
  FlashPrefillTiled,   // flash-prefill as register-tiled GEMMs (issue #12); Auto ranks it last for now
};
const char* to_string(Algorithm a);
Algorithm algorithm_from_string(const std::string& name);  // throws ShapeError listing the names
std::vector<Algorithm> all_algorithms();                   // every explicit algorithm

// The ALiBi slopes of the paper for `q_heads` heads (Press et al. 2022, and the rule of its
// reference code / HF BLOOM build_alibi_tensor when q_heads is not a power of two): with n the
// largest power of two <= q_heads, head h < n gets 2^(-8(h+1)/n) and the remaining heads
// 2^(-4(2j+1)/n), j = 0, 1, ... (the odd powers of the 2n-head sequence). Rounded from
// float64 to fp32. ShapeError for q_heads 0.
std::vector<float> alibi_slopes(uint32_t q_heads);

// How an explicit attention mask (SdpaOptions::mask) is stored.
enum class MaskKind {
  Additive,  // fp32 [S, L]: entry [s, c] is added to row s's score of cache position c
  Bool,      // u32 words [S, W]: cache position c is visible to row s iff bit c % 32 of word [s, c / 32] is 1
};
// A boolean mask [rows, cols] (nonzero = visible, row-major) packed as MaskKind::Bool stores
// it: rows x ceil(cols / 32) u32 words, returned as fp32 bit patterns for Tensor::from / upload.
std::vector<float> pack_bool_mask(const std::vector<uint8_t>& visible, uint32_t rows, uint32_t cols);

// Every option is checked like a shape: a value outside what is allowed throws ShapeError
// naming it and the allowed values (forward, plan and validate alike).
struct SdpaOptions {
  Algorithm algorithm = Algorithm::Auto;  // a value of the enum (others: ShapeError)
  float scale = 0;      // finite, >= 0; 0: 1/sqrt(D)
  bool causal = true;   // false: every row sees all input_pos + S positions (encoders)
  // Sliding window (Mistral, Gemma, gpt-oss): the query at absolute position p sees keys
  // p-W+1 .. p (with causal; without: p-W+1 .. input_pos+S-1), W = window_left, keys
  // before the window never read. 0: no window. Runs in flash-prefill, flash-prefill-tiled and
  // split-kv (three-pass refuses it with UnsupportedError; Auto routes around it).
  uint32_t window_left = 0;
  // Logit soft-cap (Gemma 2 uses 50): each scaled score becomes softcap*tanh(score/softcap)
  // before masking and the softmax. Finite, >= 0 (else ShapeError); 0: none. Every algorithm.
  float softcap = 0;
  // Attention sinks (gpt-oss): one learned logit per query head, sinks[h] for head h, that
  // joins the softmax denominator of every row of head h but has no value row:
  // out = sum_c e^(s_c - M) v_c / (sum_c e^(s_c - M) + e^(sinks[h] - M)). Empty: none;
  // else exactly Hq finite values (ShapeError otherwise), uploaded when the call or plan is
  // prepared (a plan keeps its copy). flash-prefill, flash-prefill-tiled and split-kv;
  // three-pass refuses them (UnsupportedError).
  std::vector<float> sinks;
  // Log-sum-exp out: when set, [S, Hq] fp32 receives each row's natural-log softmax
  // denominator, lse = M + log(sum_c e^(s_c - M)) over the keys it sees (scaled, capped
  // scores; sinks included), so partial attentions over disjoint key sets merge exactly:
  // lse = logaddexp(lse_a, lse_b), out = e^(lse_a - lse) out_a + e^(lse_b - lse) out_b.
  // Not in the same WGPUBuffer as q, the caches or out (ShapeError). A plan keeps the
  // tensor (sharing its buffer). flash-prefill, flash-prefill-tiled and split-kv; three-pass
  // refuses it (UnsupportedError).
  Tensor* lse = nullptr;
  // ALiBi (Press et al. 2022, "Train Short, Test Long"; BLOOM, MPT): every score of query
  // head h gains slope_h * (key_pos - query_pos), positions absolute (query row s is at
  // input_pos + s), so under a causal mask older keys get a growing penalty. The order of a
  // score's terms: scale * q.k, then the soft-cap, then this bias (the cap bends content
  // scores only, as Gemma 2 adds its mask after the cap; capping the bias would flatten the
  // distance penalty towards -softcap), then the softmax. The bias is formed from the integer
  // distance, so fp32 keeps its accuracy at any context (up to 2^24 positions).
  // alibi = true with alibi_slopes empty: the paper's slopes for Hq heads (alibi_slopes(Hq));
  // else alibi_slopes holds exactly Hq finite slopes (any sign). ShapeError for a wrong count,
  // a non-finite slope, or slopes given while alibi is false. The slopes are compiled into
  // the pipeline (one pipeline per slope set). Every algorithm but flash-prefill-tiled, which
  // refuses it (UnsupportedError; Auto routes around it).
  bool alibi = false;
  std::vector<float> alibi_slopes;
  // Explicit mask (a GPU tensor, like lse; read by the call, and by every step of a plan,
  // which keeps the tensor: the caller may rewrite it between steps). A key is visible to a
  // row when the causal/window rule AND the mask allow it.
  //  - MaskKind::Additive: fp32 [S, L], L >= input_pos + S (plans: L >= max_context); entry
  //    [s, c] is added to the score of row s and cache position c after the scale, soft-cap
  //    and ALiBi. -inf makes the key invisible to the row by rule (it never enters the row's
  //    max, sum or P.V); a visible +inf or NaN entry makes the row NaN, as in the float64
  //    reference.
  //  - MaskKind::Bool: [S, W] u32 words (bit patterns in the tensor's 4-byte elements; see
  //    pack_bool_mask), W * 32 >= input_pos + S (plans: >= max_context); bit c % 32 of word
  //    [s, c / 32] set = visible. 32x less memory traffic than the additive mask.
  // Columns past the context are never read. A row that sees no key at all has output 0 and
  // LSE -inf (with a sink: output 0, LSE = the sink), never NaN. ShapeError for another
  // shape, or a mask in the WGPUBuffer of out or lse. Costs a mask read per (row, key): in
  // decode that is memory traffic next to the K/V reads. flash-prefill and split-kv;
  // three-pass and flash-prefill-tiled refuse it (UnsupportedError; Auto routes around it).
  Tensor* mask = nullptr;
  MaskKind mask_kind = MaskKind::Additive;
  bool profile = false; // time every stage with GPU timestamps (waits for the GPU)
  // With profile: only time the whole submission (one empty timestamped pass before and
  // one after), so per-pass timestamps add nothing to what is measured.
  bool profile_span_only = false;
  // Benchmarks: record the whole call this many times back to back in one submission
  // (steady state: no idle GPU between calls). Results are those of the last one. >= 1.
  int repeat = 1;
  // split-kv: aim for about this many (chunk, kv head) workgroups: 1 to 65536 (0: the Sdpa's tuning).
  uint32_t split_kv_workgroups = 0;
  // flash-prefill: keys per tile, 16, 32, 48 or 64 (a size the device's workgroup memory
  // cannot hold for this head dim falls back to the largest that fits), and threads along
  // them, 16 (64-row tiles) or 8 (128-row tiles; 16 where those do not fit). 0: the Sdpa's tuning
  // (whose 0 picks by shape: 128-row tiles where they still give at least 256 workgroups).
  uint32_t flash_keys_per_tile = 0;
  uint32_t flash_threads_x = 0;
  // flash-prefill: threads per workgroup, 128 or 256 (half or all of a tile's rows per
  // workgroup). 0: the Sdpa's tuning (whose 0 picks by shape: 128 where 256-thread workgroups
  // would number at most 128).
  uint32_t flash_workgroup_threads = 0;
  // flash-prefill-tiled: query rows per workgroup (64 or 128), keys per tile (32, 64 or
  // 128) and the head-dim chunk of the score phase (4, 8 or 16 values). A shape the device's
  // workgroup memory cannot hold falls back to one that fits. 0: the Sdpa's tuning.
  uint32_t tiled_rows = 0;
  uint32_t tiled_keys = 0;
  uint32_t tiled_dchunk = 0;
  // Plans: the longest context (input_pos + S) a step will have (0: the cache capacity).
  // Scratch buffers are sized for it once, so steps never reallocate.
  uint32_t max_context = 0;
};

// Tunables of the fused kernels. `webattn tune` measures candidates on a device and
// saves the winners per adapter; Sdpa loads them (see tuning_path()).
struct Tuning {
  // split-kv aims for about this many (chunk, kv head) workgroups: 1..65536; 0 = by the form of
  // its first pass: 512 for the subgroup form (one new token on a device with one subgroup
  // width; H200: one wave of its 80-96-register workgroups), 1024 for the tile form (H100).
  uint32_t split_kv_workgroups = 0;
  uint32_t flash_keys_per_tile = 0;     // 16/32/48/64; 0 = the largest the workgroup memory allows
  uint32_t flash_threads_x = 0;         // 16: 64-row tiles, 8: 128-row tiles; 0 = by shape (128-row where enough workgroups)
  uint32_t flash_workgroup_threads = 0; // 128, 256; 0 = by shape (128 where 256-thread workgroups are few)
  // flash-prefill-tiled's tile (see SdpaOptions); 0 = by head dim (the largest that fits)
  uint32_t tiled_rows = 0;              // 64, 128
  uint32_t tiled_keys = 0;              // 32, 64, 128
  uint32_t tiled_dchunk = 0;            // 4, 8, 16
  // f16 caches: read them as WGSL f16 (shader-f16 devices only) instead of unpacking u32
  // words. Off unless `webattn tune` measured it faster on the device.
  bool native_f16 = false;
};
// Where tuning is read and written: $WEBATTN_TUNING_FILE, else
// $XDG_CACHE_HOME/webattn/tuning.json, else ~/.cache/webattn/tuning.json.
std::string tuning_path();
// The key a device's entry is stored under: device name | backend | driver description.
std::string tuning_key(const AdapterSummary& adapter);
// Built-in defaults when the file or the adapter's entry is absent; throws Error on a malformed file.
Tuning load_tuning(const std::string& path, const AdapterSummary& adapter);
void save_tuning(const std::string& path, const AdapterSummary& adapter, const Tuning& tuning);

struct StageTime {
  std::string stage;
  double ms = 0;        // GPU time of the pass
  double start_ms = 0;  // its start, relative to the first pass of the submission
};

struct ForwardInfo {
  Algorithm algorithm = Algorithm::Auto;  // what actually ran
  std::vector<StageTime> stages;          // filled when profiling (repeat x passes)
  double total_ms() const;                // sum of the passes' GPU times
  double span_ms() const;                 // first pass start to last pass end
};

class SdpaPlan;

class Sdpa {
 public:
  // Loads tuning for ctx's adapter from tuning_path() (built-in defaults if absent).
  explicit Sdpa(Context& ctx);
  ~Sdpa();
  const Tuning& tuning() const;
  // Throws ShapeError naming a tunable outside its allowed set (see Tuning, SdpaOptions).
  void set_tuning(const Tuning& tuning);

  ForwardInfo forward(const Tensor& q, const Tensor& k_new, const Tensor& v_new, KVCache& cache,
                      uint32_t input_pos, Tensor& out, const SdpaOptions& options = {});
  // The same with a new out [S, Hq, D] of q's dtype.
  Tensor forward(const Tensor& q, const Tensor& k_new, const Tensor& v_new, KVCache& cache, uint32_t input_pos,
                 const SdpaOptions& options = {});

  // Plan once, run many: validates the shapes, picks the algorithm, sizes scratch for
  // options.max_context and creates every pipeline, bind group and parameter buffer a step
  // needs. The plan keeps q, k_new, v_new, out and the cache (their buffers) alive; a
  // decode loop refills q/k_new/v_new and calls plan.run(pos) or plan.encode(encoder, pos).
  SdpaPlan plan(const Tensor& q, const Tensor& k_new, const Tensor& v_new, KVCache& cache, Tensor& out,
                const SdpaOptions& options = {}) const;

  // What Algorithm::Auto runs for S new tokens at input_pos on this device: the
  // highest-ranked algorithm that supports the call. UnsupportedError, listing each
  // algorithm's reason, when none does.
  Algorithm choose(uint32_t seq_len, uint32_t input_pos, const KVCacheConfig& cache, uint32_t q_heads) const;

  // Every check forward() would make for q [seq_len, q_heads, D] at input_pos on a cache
  // with this config (and, with options.max_context set, every check plan() would make),
  // without GPU work or tensors: ShapeError / UnsupportedError as those calls would throw
  // them. `act`: the activation tensors' dtypes (sizes of q and k_new depend on them).
  // Returns the algorithm that would run.
  Algorithm validate(uint32_t seq_len, uint32_t q_heads, uint32_t input_pos, const KVCacheConfig& cache,
                     const SdpaOptions& options = {}, const ActivationDTypes& act = {}) const;

 private:
  friend struct detail::Access;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A planned call: the same tensors, cache and options, any input_pos. A step writes
// k_new/v_new into the cache at input_pos and out = attention over positions
// 0 .. input_pos+S-1, in passes_per_step() compute passes. In steady state a step
// creates no buffers, bind groups or pipelines (Context::object_counts() shows it).
class SdpaPlan {
 public:
  SdpaPlan(SdpaPlan&&) noexcept;
  SdpaPlan& operator=(SdpaPlan&&) noexcept;
  ~SdpaPlan();

  Algorithm algorithm() const;
  uint32_t seq_len() const;      // S of every step
  uint32_t max_context() const;  // input_pos + S may not exceed it
  size_t passes_per_step() const;

  // One step on webattn's own queue (one submission; with options.profile it waits and
  // returns GPU times). Throws ShapeError if input_pos + S exceeds max_context().
  ForwardInfo run(uint32_t input_pos);
  // The same step recorded into a host's command encoder, which the host finishes and
  // submits. Each step's parameters are written by the encoder itself, so one encoder may
  // hold several steps of the same plan (e.g. with copies refilling q/k/v in between).
  void encode(WGPUCommandEncoder encoder, uint32_t input_pos);

  // A model step on webattn's own queue: one step of each plan at input_pos, in the given
  // order (e.g. every layer's attention for one token, each layer with its own cache and
  // plan), `repeat` times back to back, in one submission. Like run(), it creates no
  // buffers, bind groups or pipelines. With profile (needs timestamp-query) the submission
  // is timed at its ends only: the result's stages are its "begin" and "end" marks and
  // span_ms() its GPU time; algorithm is plan 0's. Throws ShapeError if plans is empty or
  // holds a null, if they belong to different Contexts, if repeat < 1, or if input_pos + S
  // exceeds a plan's max_context().
  static ForwardInfo run_steps(const std::vector<SdpaPlan*>& plans, uint32_t input_pos, int repeat = 1,
                               bool profile = false);

 private:
  friend class Sdpa;
  struct Impl;
  explicit SdpaPlan(std::unique_ptr<Impl> impl);
  const Impl& impl() const;  // ShapeError for a moved-from plan
  std::unique_ptr<Impl> impl_;
};

}  // namespace webattn
