// Three-pass SDPA: scores = scale*q.K^T (masked) -> row softmax in place -> out = P.V,
// with AV in the strided ("before") or coalesced ("after") form of the published experiment.
#include "attention/launch.hpp"

namespace webattn::attention {

namespace {

constexpr uint32_t kTile = 32;        // qk_scores / av_*: 32 rows (and keys) per workgroup
constexpr uint32_t kSoftmaxWg = 256;

uint32_t scores_stride(uint32_t context_len) { return (context_len + 3) / 4 * 4; }

// Bytes of the [Hq, S, stride] score matrix for the longest context.
uint64_t score_bytes(const CallShape& sh) {
  return uint64_t{sh.q_heads} * sh.seq_len * scores_stride(sh.max_context) * 4;
}

int auto_rank(const CallShape&) { return 10; }  // the fallback: runs whatever the fused kernels cannot
int never(const CallShape&) { return 0; }      // kept for the experiment only

std::string supports(const CallShape& sh, const Settings& st, const AdapterSummary& dev) {
  // Its score matrix spans the whole context: a window would save nothing there.
  if (st.window_left != 0)
    return "three-pass: no sliding window (window_left " + std::to_string(st.window_left) +
           "); flash-prefill, flash-prefill-tiled and split-kv have one";
  if (!st.sinks.empty()) return "three-pass: no attention sinks; flash-prefill, flash-prefill-tiled and split-kv have them";
  if (st.lse) return "three-pass: no log-sum-exp output; flash-prefill, flash-prefill-tiled and split-kv write it";
  if (st.mask) return "three-pass: no explicit mask; flash-prefill and split-kv read one";
  // Its grids: key tiles x row tiles x q heads (scores), rows x q heads (softmax), row tiles x q heads (P.V).
  if (std::string why = grid_why_not("three-pass",
                                     {{"key tiles of " + std::to_string(kTile), (uint64_t{scores_stride(sh.max_context)} + kTile - 1) / kTile},
                                      {"query rows (the softmax's)", sh.seq_len},
                                      {"q heads", sh.q_heads}},
                                     dev.limits);
      !why.empty())
    return why;
  const uint64_t bytes = score_bytes(sh), limit = dev.limits.max_storage_buffer_binding_size;
  if (bytes <= limit) return "";
  return "three-pass attention needs a " + std::to_string(bytes) + "-byte score matrix (" +
         std::to_string(sh.q_heads) + " heads x S " + std::to_string(sh.seq_len) + " x " +
         std::to_string(scores_stride(sh.max_context)) + "), over this device's maxStorageBufferBindingSize " +
         std::to_string(limit) + "; use the flash-prefill or split-kv algorithm";
}

std::vector<Scratch> scratch(const CallShape& sh, const Settings&, const AdapterSummary&) {
  return {{"scores", score_bytes(sh)}};
}

std::vector<PreparedPass> prepare(const PrepareInputs& in, bool coalesced) {
  const gpu::Buffer& scores = in.workspace.at("scores");
  const uint32_t d4n = in.shape.cache.head_dim / 4;
  const auto& w = in.windows;
  std::vector<PreparedPass> passes;

  const std::vector<CacheAccess> reads_k{CacheAccess::ReadKeys};
  std::vector<gpu::Binding> k_windows;
  bind_cache_windows(k_windows, w, in.op.cache, reads_k);
  passes.push_back(make_pass(
      in.device, {"qk_scores",
                   {"attention_params", in.kv},
                   cache_access_wgsl(w, reads_k) + activations_wgsl({{"q", in.op.q.dtype()}}) +
                       alibi_wgsl(in.settings, in.shape.q_heads) + variant_wgsl(in.settings),
                   {}},
      {{"q", &gpu_buffer(in.op.q)}, cache_window0("k_cache", w, gpu_keys(in.op.cache)), {"scores", &scores}},
      [](KernelParams& prm) {
        prm.scores_stride = scores_stride(prm.context_len);
        return gpu::Grid{(prm.scores_stride + kTile - 1) / kTile, (prm.seq_len + kTile - 1) / kTile, prm.q_heads};
      },
      k_windows));

  passes.push_back(make_pass(in.device, {"softmax", {"attention_params"}, variant_wgsl({}), {{"WG", kSoftmaxWg}}},
                             {{"scores", &scores}}, [](KernelParams& prm) {
                               prm.scores_stride = scores_stride(prm.context_len);
                               return gpu::Grid{prm.seq_len, prm.q_heads, 1};
                             }));

  const char* av = coalesced ? "av_coalesced" : "av_strided";
  const char* v_var = coalesced ? "v_cache" : "v_words";
  const std::vector<CacheAccess> reads_v{coalesced ? CacheAccess::ReadValues : CacheAccess::ReadValueWords};
  std::vector<gpu::Binding> v_windows;
  bind_cache_windows(v_windows, w, in.op.cache, reads_v);
  passes.push_back(make_pass(
      in.device,
      {av, {"attention_params", in.kv}, cache_access_wgsl(w, reads_v) + activations_wgsl({{"out", in.op.out.dtype()}}) +
                  variant_wgsl({}),
       {}},
      {{"probs", &scores}, cache_window0(v_var, w, gpu_values(in.op.cache)), {"out", &gpu_buffer(in.op.out)}},
      [d4n](KernelParams& prm) {
        prm.scores_stride = scores_stride(prm.context_len);
        return gpu::Grid{(d4n + 7) / 8, (prm.seq_len + kTile - 1) / kTile, prm.q_heads};
      },
      v_windows));
  return passes;
}

}  // namespace

extern const AlgorithmEntry three_pass_strided_entry{
    Algorithm::ThreePassStrided, "three-pass-strided", never, supports, scratch,
    [](const PrepareInputs& in) { return prepare(in, false); }};
extern const AlgorithmEntry three_pass_coalesced_entry{
    Algorithm::ThreePassCoalesced, "three-pass-coalesced", auto_rank, supports, scratch,
    [](const PrepareInputs& in) { return prepare(in, true); }};

}  // namespace webattn::attention
