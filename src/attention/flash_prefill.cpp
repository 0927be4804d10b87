// Fused online-softmax attention (FlashAttention-2 style) for prefill and chunked prefill.
#include "attention/launch.hpp"

namespace webattn::attention {

namespace {
constexpr uint32_t kRows = 64;  // BR in flash_prefill.wgsl

uint64_t shared_bytes(uint32_t bc, uint32_t d4) { return uint64_t{bc} * (d4 + 1) * 16 + kRows * bc * 4 + kRows * 16 * 4; }

// Keys per tile: the most that workgroup memory allows (more keys per tile = more
// FMAs per query load in the score phase).
// `preferred` (from tuning; 0 = none) wins when it fits.
uint32_t keys_per_tile(const gpu::Device& dev, uint32_t d4, uint32_t preferred = 0) {
  const auto fits = [&](uint32_t bc) { return shared_bytes(bc, d4) <= dev.limits().max_compute_workgroup_storage_size; };
  if (preferred % 16 == 0 && preferred >= 16 && preferred <= 64 && fits(preferred)) return preferred;
  for (uint32_t bc : {64u, 48u, 32u, 16u})
    if (fits(bc)) return bc;
  return 0;
}
}  // namespace

bool flash_prefill_supported(const gpu::Device& dev, uint32_t head_dim, std::string* why_not) {
  if (keys_per_tile(dev, head_dim / 4) == 0) {
    if (why_not)
      *why_not = "flash-prefill: head_dim " + std::to_string(head_dim) + " needs " +
                 std::to_string(shared_bytes(16, head_dim / 4)) + " bytes of workgroup memory, device offers " +
                 std::to_string(dev.limits().max_compute_workgroup_storage_size);
    return false;
  }
  return true;
}

void encode_flash_prefill(gpu::Recorder& rec, const Problem& pb, uint32_t preferred_keys_per_tile) {
  auto& dev = pb.cache.context().device();
  const KernelParams& prm = pb.params;
  const uint32_t d4 = prm.head_dim / 4;
  const uint32_t bc = keys_per_tile(dev, d4, preferred_keys_per_tile);
  const uint32_t dv = (d4 + 15) / 16;
  const std::string header = "const D4: u32 = " + std::to_string(d4) + "u;\nconst BC: u32 = " + std::to_string(bc) +
                             "u;\nconst DV: u32 = " + std::to_string(dv) + "u;\n";
  const auto& pipe =
      dev.pipelines().get({"flash_prefill", {"attention_params", pb.kv}, header, {}});
  const uint32_t g = prm.q_heads / prm.kv_heads;
  const uint64_t rows = uint64_t{prm.seq_len} * g;
  rec.dispatch("flash_prefill", pipe, prm,
               {{1, &pb.q.buffer()}, {2, &pb.cache.keys()}, {3, &pb.cache.values()}, {4, &pb.out.buffer()}},
               {static_cast<uint32_t>((rows + kRows - 1) / kRows), prm.kv_heads, 1});
}

}  // namespace webattn::attention
