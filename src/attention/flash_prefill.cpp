// Fused online-softmax attention (FlashAttention-2 style) for prefill and chunked prefill.
#include "attention/launch.hpp"

namespace webattn::attention {

namespace {

struct FlashShape {
  uint32_t tx;  // threads along keys / head dim: 16 (64 rows per workgroup) or 8 (128 rows)
  uint32_t bc;  // keys per tile
  uint32_t rows() const { return 4 * (256 / tx); }
};

uint64_t shared_bytes(const FlashShape& f, uint32_t d4) {
  return uint64_t{f.bc} * (d4 + 1) * 16 + uint64_t{f.rows()} * f.bc * 4 + uint64_t{f.rows()} * f.tx * 4;
}

// Keys per tile: `preferred` (tuning; 0 = none) when it fits, else the most that fits
// (more keys per tile = more FMAs per query load in the score phase); 0 if none does.
uint32_t keys_per_tile(const gpu::Device& dev, uint32_t d4, uint32_t tx, uint32_t preferred) {
  const auto fits = [&](uint32_t bc) {
    return shared_bytes({tx, bc}, d4) <= dev.limits().max_compute_workgroup_storage_size;
  };
  if (preferred % 16 == 0 && preferred >= 16 && preferred <= 64 && fits(preferred)) return preferred;
  for (uint32_t bc : {64u, 48u, 32u, 16u})
    if (fits(bc)) return bc;
  return 0;
}

FlashShape choose(const gpu::Device& dev, const KernelParams& prm, uint32_t preferred_tx, uint32_t preferred_bc) {
  const uint32_t d4 = prm.head_dim / 4;
  // 64-row tiles unless tuning asks for 128: on the H100 the wide tile was slower at every
  // prompt length measured (run 7 in bench/RESULTS.md: more registers per thread, fewer
  // workgroups per SM), though it does more FMAs per load.
  uint32_t tx = preferred_tx == 8 ? 8u : 16u;
  uint32_t bc = keys_per_tile(dev, d4, tx, preferred_bc);
  if (bc == 0 && tx == 8) {  // the wide tile does not fit this device: narrow one
    tx = 16;
    bc = keys_per_tile(dev, d4, tx, preferred_bc);
  }
  return {tx, bc};
}

}  // namespace

bool flash_prefill_supported(const gpu::Device& dev, uint32_t head_dim, std::string* why_not) {
  if (keys_per_tile(dev, head_dim / 4, 16, 0) == 0) {
    if (why_not)
      *why_not = "flash-prefill: head_dim " + std::to_string(head_dim) + " needs " +
                 std::to_string(shared_bytes({16, 16}, head_dim / 4)) +
                 " bytes of workgroup memory, device offers " +
                 std::to_string(dev.limits().max_compute_workgroup_storage_size);
    return false;
  }
  return true;
}

void encode_flash_prefill(gpu::Recorder& rec, const Problem& pb, uint32_t preferred_keys_per_tile,
                          uint32_t preferred_threads_x) {
  auto& dev = pb.cache.context().device();
  const KernelParams& prm = pb.params;
  const uint32_t d4 = prm.head_dim / 4;
  const FlashShape f = choose(dev, prm, preferred_threads_x, preferred_keys_per_tile);
  const uint32_t dv = (d4 + f.tx - 1) / f.tx;
  const std::string header = "const D4: u32 = " + std::to_string(d4) + "u;\nconst BC: u32 = " + std::to_string(f.bc) +
                             "u;\nconst DV: u32 = " + std::to_string(dv) + "u;\nconst TX: u32 = " +
                             std::to_string(f.tx) + "u;\n";
  const std::vector<CacheAccess> reads{CacheAccess::ReadKeys, CacheAccess::ReadValues};
  const auto& pipe =
      dev.pipelines().get({"flash_prefill", {"attention_params", pb.kv}, header + cache_access_wgsl(pb.windows, reads), {}});
  const uint64_t rows = uint64_t{prm.seq_len} * (prm.q_heads / prm.kv_heads);
  std::vector<gpu::Binding> bindings{{1, &pb.q.buffer()}, cache_window0(2, pb.windows, pb.cache.keys()),
                                     cache_window0(3, pb.windows, pb.cache.values()), {4, &pb.out.buffer()}};
  bind_cache_windows(bindings, pb.windows, pb.cache, reads);
  rec.dispatch("flash_prefill", pipe, prm, bindings,
               {static_cast<uint32_t>((rows + f.rows() - 1) / f.rows()), prm.kv_heads, 1});
}

}  // namespace webattn::attention
