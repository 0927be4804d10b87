// Three-pass SDPA: scores = scale*q.K^T (masked) -> row softmax in place -> out = P.V,
// with AV in the strided ("before") or coalesced ("after") form of the published experiment.
#include "attention/launch.hpp"

namespace webattn::attention {

bool three_pass_supported(const gpu::Device& dev, uint32_t q_heads, uint32_t seq_len, uint32_t context_len,
                          std::string* why_not) {
  const uint64_t stride = (uint64_t{context_len} + 3) / 4 * 4;
  const uint64_t score_bytes = uint64_t{q_heads} * seq_len * stride * 4;
  const uint64_t limit = dev.limits().max_storage_buffer_binding_size;
  if (score_bytes <= limit) return true;
  if (why_not)
    *why_not = "three-pass attention needs a " + std::to_string(score_bytes) + "-byte score matrix (" +
               std::to_string(q_heads) + " heads x S " + std::to_string(seq_len) + " x " + std::to_string(stride) +
               "), over this device's maxStorageBufferBindingSize " + std::to_string(limit) +
               "; use the flash-prefill or split-kv algorithm";
  return false;
}

namespace {
// Bytes of the [Hq, S, stride] score matrix; throws if one binding cannot hold it.
uint64_t score_matrix_bytes(const gpu::Device& dev, const KernelParams& prm) {
  std::string why;
  if (!three_pass_supported(dev, prm.q_heads, prm.seq_len, prm.scores_stride, &why)) throw UnsupportedError(why);
  return uint64_t{prm.q_heads} * prm.seq_len * prm.scores_stride * 4;
}
}  // namespace

void reserve_three_pass(Workspace& ws, const gpu::Device& dev, KernelParams prm, uint32_t max_context) {
  prm.scores_stride = (max_context + 3) / 4 * 4;
  ws.get("scores", score_matrix_bytes(dev, prm));
}

void encode_three_pass(gpu::Recorder& rec, Workspace& ws, const Problem& pb, bool coalesced) {
  auto& dev = pb.cache.context().device();
  KernelParams prm = pb.params;
  prm.scores_stride = (prm.context_len + 3) / 4 * 4;
  gpu::Buffer& scores = ws.get("scores", score_matrix_bytes(dev, prm));
  const std::string kv = pb.kv;
  const uint32_t tile = 32, d4n = prm.head_dim / 4;

  const std::vector<CacheAccess> reads_k{CacheAccess::ReadKeys};
  const auto& qk = dev.pipelines().get({"qk_scores", {"attention_params", kv}, cache_access_wgsl(pb.windows, reads_k), {}});
  std::vector<gpu::Binding> qk_bindings{{1, &pb.q.buffer()}, cache_window0(2, pb.windows, pb.cache.keys()), {3, &scores}};
  bind_cache_windows(qk_bindings, pb.windows, pb.cache, reads_k);
  rec.dispatch("qk_scores", qk, prm, qk_bindings,
               {(prm.scores_stride + tile - 1) / tile, (prm.seq_len + tile - 1) / tile, prm.q_heads});

  const uint32_t wg = 256;
  const auto& sm = dev.pipelines().get({"softmax", {"attention_params"}, "", {{"WG", wg}}});
  rec.dispatch("softmax", sm, prm, {{1, &scores}}, {prm.seq_len, prm.q_heads, 1});

  const char* av_name = coalesced ? "av_coalesced" : "av_strided";
  const std::vector<CacheAccess> reads_v{coalesced ? CacheAccess::ReadValues : CacheAccess::ReadValueWords};
  const auto& av = dev.pipelines().get({av_name, {"attention_params", kv}, cache_access_wgsl(pb.windows, reads_v), {}});
  std::vector<gpu::Binding> av_bindings{{1, &scores}, cache_window0(2, pb.windows, pb.cache.values()),
                                        {3, &pb.out.buffer()}};
  bind_cache_windows(av_bindings, pb.windows, pb.cache, reads_v);
  rec.dispatch(av_name, av, prm, av_bindings, {(d4n + 7) / 8, (prm.seq_len + tile - 1) / tile, prm.q_heads});
}

}  // namespace webattn::attention
