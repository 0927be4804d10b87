// The table of attention algorithms: everything the planner, plans, forward(), validate()
// and the checkers know about an algorithm comes from its entry here.
//
// Adding an algorithm: its kernel (src/kernels/<name>.wgsl), its launcher
// (src/attention/<name>.cpp, which defines `const AlgorithmEntry <name>_entry`), and one
// line in the table (algorithm.cpp); plus its value in the public enum Algorithm.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attention/cache_windows.hpp"
#include "attention/kernel_io.hpp"
#include "attention/kernel_params.hpp"
#include "attention/workspace.hpp"
#include "gpu/recorder.hpp"
#include "webattn/attention.hpp"

namespace webattn::attention {

// What a call (or every step of a plan) is, apart from its input_pos.
struct CallShape {
  uint32_t seq_len = 0;      // S: new tokens, query rows per head
  uint32_t q_heads = 0;      // Hq
  KVCacheConfig cache;       // capacity, Hkv, D, dtype
  uint32_t min_context = 0;  // shortest input_pos + S a step will have (a plan: S)
  uint32_t max_context = 0;  // longest (a plan: its max_context; forward: input_pos + S)
  uint32_t group() const { return q_heads / cache.kv_heads; }   // query heads per kv head
  uint32_t rows() const { return seq_len * group(); }           // query rows per kv head
};

// SdpaOptions with defaults and tuning applied and every value checked (resolve_settings).
struct Settings {
  float scale = 0;  // never 0: 1/sqrt(D) already applied
  bool causal = true;
  uint32_t window_left = 0;  // sliding window W (0: none)
  float softcap = 0;         // logit soft-cap c (0: none)
  std::vector<float> sinks;  // per query head sink logits (empty: none; else Hq values)
  bool lse = false;          // write each row's log-sum-exp into Operands::lse
  bool alibi = false;        // ALiBi bias on every score
  std::vector<float> alibi_slopes;  // explicit slopes (Hq values), or empty: the paper's for Hq
  std::optional<MaskKind> mask;     // an explicit mask in Operands::mask
  uint32_t mask_stride = 0;         // its row length (f32 entries or u32 words)
  uint32_t split_kv_workgroups = 0;  // >= 1
  uint32_t flash_keys_per_tile = 0;  // 0 (the most that fits), 16, 32, 48, 64
  uint32_t flash_threads_x = 0;      // 0, 8, 16
  uint32_t flash_workgroup_threads = 0;  // 0 (by shape), 128, 256
  uint32_t tiled_rows = 0;           // 0 (by head dim), 64, 128
  uint32_t tiled_keys = 0;           // 0, 32, 64, 128
  uint32_t tiled_dchunk = 0;         // 0, 4, 8, 16
  bool native_f16 = false;           // read f16 caches as WGSL f16
};

// The buffers a call binds. Plans hold these copies (sharing the buffers) so nothing dangles.
struct Operands {
  Tensor q, k_new, v_new;
  KVCache cache;
  Tensor out;
  std::optional<Tensor> lse;  // [S, Hq] when SdpaOptions::lse is set
  std::optional<Tensor> mask;  // [S, L] when SdpaOptions::mask is set
};

// A scratch buffer an algorithm needs, sized for every context in [min_context, max_context].
struct Scratch {
  std::string name;
  uint64_t bytes = 0;
};

// What a launcher's prepare() gets: the call, its resolved settings, the buffers to bind
// and the scratch the Sdpa reserved for the entry (Workspace::at(name)).
struct PrepareInputs {
  gpu::Device& device;
  const CallShape& shape;
  const Settings& settings;
  const Operands& op;
  Workspace& workspace;
  const CacheWindows& windows;
  const std::string& kv;  // cache-reading prelude: kv_f32, kv_f16 or kv_f16_native
};

struct AlgorithmEntry {
  Algorithm id;
  const char* name;  // to_string(id), the CLI's spelling
  // Auto's preference for this shape: the highest-ranked supported entry runs; 0 = never.
  int (*auto_rank)(const CallShape& shape);
  // Why this algorithm cannot run the call on a device with these limits/features ("" = it can).
  std::string (*supports)(const CallShape& shape, const Settings& settings, const AdapterSummary& device);
  // Scratch to reserve once for every context the call/plan can have (may be empty).
  std::vector<Scratch> (*scratch)(const CallShape& shape, const Settings& settings, const AdapterSummary& device);
  // Pipelines, bindings and parameter fills of the algorithm's passes.
  std::vector<PreparedPass> (*prepare)(const PrepareInputs& in);
  // Whether prepare()'s passes write k_new / v_new into the cache themselves (then the Sdpa
  // records no separate cache update). Null: never.
  bool (*updates_cache)(const PrepareInputs& in) = nullptr;
};

// Every explicit algorithm, in the order the checkers and the CLI list them.
const std::vector<const AlgorithmEntry*>& algorithm_table();
// The entry of an explicit algorithm; ShapeError for Auto or a value outside the enum.
const AlgorithmEntry& algorithm_entry(Algorithm a);

// Checks every option (ShapeError naming the value and what is allowed) and applies
// tuning and defaults. Tuning values are checked too (set_tuning / load_tuning do it first).
Settings resolve_settings(const SdpaOptions& options, const Tuning& tuning, const KVCacheConfig& cache,
                          bool device_has_shader_f16);
// ShapeError naming a tunable outside its allowed set.
void validate_tuning(const Tuning& tuning);

// The entry Auto picks: the highest auto_rank among supported entries. UnsupportedError
// listing every algorithm's reason when none supports the call.
const AlgorithmEntry& choose(const CallShape& shape, const Settings& settings, const AdapterSummary& device);
// options.algorithm's entry (or Auto's choice); UnsupportedError with the reason if it
// cannot run the call.
const AlgorithmEntry& select(Algorithm requested, const CallShape& shape, const Settings& settings,
                             const AdapterSummary& device);

// ShapeError "input_pos P + S N exceeds <what> L" unless input_pos + S <= limit.
void check_position(uint32_t input_pos, uint32_t seq_len, uint64_t limit, const char* what);

// First key any row of a step at input_pos sees: input_pos - W + 1 under a window W, else 0.
uint32_t first_visible_key(const Settings& settings, uint32_t input_pos);
// Generated WGSL constants of a pipeline serving these settings: `const WINDOW`, `const
// SOFTCAP`, `const ALIBI` (true when a window / soft-cap / ALiBi is set). Every pipeline
// built on the attention_params prelude needs them (variant_wgsl({}) where none applies).
// Constants, not pipeline overrides: on the H200 (Dawn/Vulkan) a dead `if (ALIBI)` under a
// false override still made split-kv decode 2.2-2.7x slower (bench/RESULTS.md, session 4).
std::string variant_wgsl(const Settings& settings);

// Generated WGSL for the sink logits: `const SINKS`, and `fn sink_logit(h)` reading a
// `sinks` storage array at `binding` when there are sinks (else returning 0, never called).
std::string sinks_wgsl(const Settings& settings, uint32_t binding);
// A storage buffer holding the sink logits, owned by the pass that binds it.
std::shared_ptr<gpu::Buffer> upload_sinks(gpu::Device& device, const Settings& settings);
// Generated WGSL for the ALiBi slopes of `q_heads` heads: `fn alibi_slope(h)` returning head
// h's slope from a constant array compiled into the module (0 for every head without ALiBi;
// only pipelines with the ALIBI override add it to a score).
std::string alibi_wgsl(const Settings& settings, uint32_t q_heads);
// Generated WGSL for an explicit mask: `const MASK`, `fn mask_visible(s, key)` (the mask's
// rule for row s and cache position key; true without a mask) and `fn mask_score(score, s,
// key)` (adds an additive mask's entry; the identity otherwise), reading a `mask` storage
// array at `binding` when there is a mask (binding < 0: only MASK, for passes that do not
// read the mask).
std::string mask_wgsl(const Settings& settings, int binding);
// ShapeError unless the mask of these settings covers `context` cache positions per row.
void check_mask_columns(const Settings& settings, uint64_t context, const char* what);
// Generated WGSL for the log-sum-exp output: `const LSE`, and `fn write_lse(i, v)` storing
// into an `lse` storage array at `binding` when it is asked for (else doing nothing).
std::string lse_wgsl(const Settings& settings, uint32_t binding);

// Generated WGSL for the activation tensors a kernel binds (q, k_new, v_new, out), each by
// its own dtype: `alias <name>_vec4` (vec4<f32>, or vec2<u32> holding 4 packed halves),
// `fn <name>_unpack(v) -> vec4<f32>` and `fn <name>_pack(v: vec4<f32>) -> <name>_vec4`. The
// f32 forms are the identity, so f32 pipelines run exactly the arithmetic they ran before.
std::string activations_wgsl(std::initializer_list<std::pair<const char*, DType>> tensors);

// The parameters every pass of a step at input_pos starts from.
KernelParams common_params(const CallShape& shape, const Settings& settings, uint32_t input_pos);
// Records passes for a step at input_pos.
void encode_passes(gpu::Recorder& rec, const std::vector<PreparedPass>& passes, const KernelParams& common);

// The cache update, an entry-like step of its own: ShapeError unless k_new / v_new are
// [S, Hkv, D] of the cache; then its passes (one per piece of rows that fits a binding).
// Its fill ignores the common parameters but their input_pos.
void validate_cache_update(const KVCacheConfig& cache, const Tensor& k_new, const Tensor& v_new);
std::vector<PreparedPass> prepare_cache_update(gpu::Device& device, const KVCache& cache, const Tensor& k_new,
                                               const Tensor& v_new);

}  // namespace webattn::attention
