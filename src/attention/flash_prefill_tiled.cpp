// Register-tiled fused attention for prefill (issue #12): flash_prefill_tiled.wgsl.
#include <optional>

#include "attention/launch.hpp"

namespace webattn::attention {

namespace {

// One tile shape of the kernel: rows = 16 * tm per workgroup, keys = 16 * tn per tile, the
// head dim staged dk4 vec4s at a time; sbuf / pbuf buffers (1 or 2) in the two phases.
struct TiledShape {
  uint32_t tm, tn, dk4, sbuf, pbuf;
  uint32_t rows() const { return 16 * tm; }
};

gpu::ShaderSpec spec(const TiledShape& s, uint32_t d4, const std::string& kv, const std::string& extra) {
  const auto c = [](const char* name, uint32_t v) { return "const " + std::string(name) + ": u32 = " + std::to_string(v) + "u;\n"; };
  return {"flash_prefill_tiled",
          {"attention_params", kv},
          c("D4", d4) + c("TM", s.tm) + c("TN", s.tn) + c("DK4", s.dk4) + c("SBUF", s.sbuf) + c("PBUF", s.pbuf) + extra,
          {}};
}

// Workgroup memory of the kernel at this shape, as its WGSL declares it.
uint64_t shared_bytes(const TiledShape& s, uint32_t d4) { return workgroup_bytes(spec(s, d4, "kv_f32", "")); }

constexpr uint32_t kThreads = 256;

// Workgroups below which 128-row tiles leave too few to fill a large GPU (the H200 has 132
// SMs): short prompts take 64-row tiles instead.
constexpr uint64_t kWideTileMinWorkgroups = 256;

// Rows, keys and head-dim chunk (values) to try first: the settings' (tuning / options),
// else by head dim: 8 x 8 score blocks per thread where the output block is small, 8 x 4
// up to D = 128, 4 x 4 beyond (the accumulators of 8 rows would not stay in registers) or
// where 128-row tiles would give fewer than kWideTileMinWorkgroups workgroups.
std::optional<TiledShape> tile_shape(const DeviceLimits& lim, const CallShape& sh, const Settings& st) {
  if (lim.max_compute_invocations_per_workgroup < kThreads) return std::nullopt;
  const uint32_t head_dim = sh.cache.head_dim, d4 = head_dim / 4;
  const bool wide = head_dim <= 128 && (uint64_t{sh.rows()} + 127) / 128 * sh.cache.kv_heads >= kWideTileMinWorkgroups;
  const uint32_t rows = st.tiled_rows ? st.tiled_rows : wide ? 128 : 64;
  const uint32_t keys = st.tiled_keys ? st.tiled_keys : head_dim <= 64 ? 128 : 64;
  const uint32_t dchunk = st.tiled_dchunk ? st.tiled_dchunk : 16;
  // Then smaller tiles, then single buffers, until one fits the device.
  const uint32_t tries[][3] = {{rows, keys, dchunk}, {64, 64, 16}, {64, 64, 8}, {64, 32, 8}, {64, 32, 4}};
  for (const auto& t : tries)
    for (const auto& [sbuf, pbuf] : {std::pair{2u, 2u}, {2u, 1u}, {1u, 2u}, {1u, 1u}}) {
      const TiledShape s{t[0] / 16, t[1] / 16, t[2] / 4, sbuf, pbuf};
      if (shared_bytes(s, d4) <= lim.max_compute_workgroup_storage_size) return s;
    }
  return std::nullopt;
}

// Not measured against flash-prefill yet: Auto takes it only where nothing else runs.
int auto_rank(const CallShape&) { return 1; }

// Workgroups along the packed query rows of one kv head (the grid's x).
uint64_t row_blocks(const CallShape& sh, const TiledShape& s) { return (uint64_t{sh.rows()} + s.rows() - 1) / s.rows(); }

std::string supports(const CallShape& sh, const Settings& st, const AdapterSummary& dev) {
  // Not built into this kernel yet (flash-prefill and split-kv have both).
  if (st.alibi) return "flash-prefill-tiled: no ALiBi; flash-prefill and split-kv apply it";
  if (st.mask) return "flash-prefill-tiled: no explicit mask; flash-prefill and split-kv read one";
  const uint32_t windows = cache_windows(dev.limits, sh.cache).count;
  if (std::string why = storage_why_not("flash-prefill-tiled", fused_prefill_storage(st, windows), windows, dev.limits);
      !why.empty())
    return why;
  if (const auto s = tile_shape(dev.limits, sh, st))
    return grid_why_not("flash-prefill-tiled",
                        {{"row blocks of " + std::to_string(s->rows()) + " query rows", row_blocks(sh, *s)},
                         {"kv heads", sh.cache.kv_heads}},
                        dev.limits);
  if (dev.limits.max_compute_invocations_per_workgroup < kThreads)
    return "flash-prefill-tiled: needs " + std::to_string(kThreads) + " invocations per workgroup, device offers " +
           std::to_string(dev.limits.max_compute_invocations_per_workgroup);
  return "flash-prefill-tiled: head_dim " + std::to_string(sh.cache.head_dim) + " needs " +
         std::to_string(shared_bytes({4, 2, 1, 1, 1}, sh.cache.head_dim / 4)) +
         " bytes of workgroup memory at its smallest tile, device offers " +
         std::to_string(dev.limits.max_compute_workgroup_storage_size);
}

std::vector<Scratch> scratch(const CallShape&, const Settings&, const AdapterSummary&) { return {}; }

std::vector<PreparedPass> prepare(const PrepareInputs& in) {
  const CallShape& sh = in.shape;
  const uint32_t d4 = sh.cache.head_dim / 4;
  const TiledShape s = *tile_shape(in.device.limits(), sh, in.settings);
  const gpu::Grid grid{static_cast<uint32_t>(row_blocks(sh, s)), sh.cache.kv_heads, 1};
  std::vector<PreparedPass> passes;
  passes.push_back(fused_prefill_pass(
      in, [&](const std::string& extra) { return spec(s, d4, in.kv, extra); },
      [grid](KernelParams&) { return grid; }));
  return passes;
}

}  // namespace

extern const AlgorithmEntry flash_prefill_tiled_entry{Algorithm::FlashPrefillTiled, "flash-prefill-tiled", auto_rank,
                                                      supports, scratch, prepare};

}  // namespace webattn::attention
