// Fused online-softmax attention (FlashAttention-2 style) for prefill and chunked prefill.
#include <cstdlib>
#include <string>

#include "attention/launch.hpp"

namespace webattn::attention {

namespace {

struct FlashShape {
  uint32_t tx;             // threads along keys / head dim: 16 (64 rows per 256 threads) or 8 (128 rows)
  uint32_t bc;             // keys per tile
  uint32_t threads = 256;  // per workgroup: 256, or 128 (half the rows: twice the workgroups)
  uint32_t rows() const { return 4 * (threads / tx); }
};

// The module for this tile shape; `extra` is generated text (the cache window accessors).
gpu::ShaderSpec spec(const FlashShape& f, uint32_t d4, const std::string& kv, const std::string& extra) {
  const uint32_t dv = (d4 + f.tx - 1) / f.tx;
  return {"flash_prefill",
          {"attention_params", kv},
          "const D4: u32 = " + std::to_string(d4) + "u;\nconst BC: u32 = " + std::to_string(f.bc) +
              "u;\nconst DV: u32 = " + std::to_string(dv) + "u;\nconst TX: u32 = " + std::to_string(f.tx) +
              "u;\nconst WGT: u32 = " + std::to_string(f.threads) + "u;\n" + extra,
          {}};
}

// Workgroup memory of the kernel at this tile shape, as its WGSL declares it.
uint64_t shared_bytes(const FlashShape& f, uint32_t d4) { return workgroup_bytes(spec(f, d4, "kv_f32", "")); }

// Keys per tile: `preferred` (options or tuning; 0 = none) when it fits, else the most
// that fits (more keys per tile = more FMAs per query load in the score phase); 0 if none does.
uint32_t keys_per_tile(const DeviceLimits& lim, uint32_t d4, uint32_t tx, uint32_t preferred) {
  const auto fits = [&](uint32_t bc) { return shared_bytes({tx, bc}, d4) <= lim.max_compute_workgroup_storage_size; };
  if (preferred != 0 && fits(preferred)) return preferred;
  for (uint32_t bc : {64u, 48u, 32u, 16u})
    if (fits(bc)) return bc;
  return 0;
}

// Workgroups along the packed query rows of one kv head.
uint32_t row_blocks(const CallShape& sh, const FlashShape& f) {
  return static_cast<uint32_t>((uint64_t{sh.rows()} + f.rows() - 1) / f.rows());
}

// Threads per workgroup: 128 where 256-thread workgroups would number fewer than kFewWorkgroups
// (short prompts: each holds one of the GPU's multiprocessors, most of which would idle), else 256.
// $WEBATTN_FLASH_THREADS (128 or 256) overrides, for tests and measurements.
constexpr uint64_t kFewWorkgroups = 128;
uint32_t workgroup_threads(const CallShape& sh, uint32_t tx) {
  if (const char* e = std::getenv("WEBATTN_FLASH_THREADS")) {
    const std::string v(e);
    if (v != "128" && v != "256") throw UnsupportedError("WEBATTN_FLASH_THREADS=" + v + " is not 128 or 256");
    return v == "128" ? 128 : 256;
  }
  return uint64_t{row_blocks(sh, {tx, 0, 256})} * sh.cache.kv_heads < kFewWorkgroups ? 128 : 256;
}

FlashShape tile_shape(const DeviceLimits& lim, uint32_t head_dim, const Settings& st) {
  const uint32_t d4 = head_dim / 4;
  // 64-row tiles unless tuning asks for 128: on the H100 the wide tile was slower at every
  // prompt length measured (run 7 in bench/RESULTS.md: more registers per thread, fewer
  // workgroups per SM), though it does more FMAs per load.
  uint32_t tx = st.flash_threads_x == 8 ? 8u : 16u;
  uint32_t bc = keys_per_tile(lim, d4, tx, st.flash_keys_per_tile);
  if (bc == 0 && tx == 8) {  // the wide tile does not fit this device: narrow one
    tx = 16;
    bc = keys_per_tile(lim, d4, tx, st.flash_keys_per_tile);
  }
  return {tx, bc};
}

int auto_rank(const CallShape&) { return 20; }  // prefill: one fused pass, no S x C buffer

std::string supports(const CallShape& sh, const Settings&, const AdapterSummary& dev) {
  const uint32_t d = sh.cache.head_dim;
  if (keys_per_tile(dev.limits, d / 4, 16, 0) != 0) return "";
  return "flash-prefill: head_dim " + std::to_string(d) + " needs " + std::to_string(shared_bytes({16, 16}, d / 4)) +
         " bytes of workgroup memory, device offers " + std::to_string(dev.limits.max_compute_workgroup_storage_size);
}

std::vector<Scratch> scratch(const CallShape&, const Settings&, const AdapterSummary&) { return {}; }

std::vector<PreparedPass> prepare(const PrepareInputs& in) {
  const CallShape& sh = in.shape;
  const uint32_t d4 = sh.cache.head_dim / 4;
  FlashShape f = tile_shape(in.device.limits(), sh.cache.head_dim, in.settings);
  f.threads = workgroup_threads(sh, f.tx);
  const gpu::Grid grid{row_blocks(sh, f), sh.cache.kv_heads, 1};
  std::vector<PreparedPass> passes;
  passes.push_back(fused_prefill_pass(
      in, [&](const std::string& extra) { return spec(f, d4, in.kv, extra); },
      grid));
  return passes;
}

}  // namespace

extern const AlgorithmEntry flash_prefill_entry{Algorithm::FlashPrefill, "flash-prefill", auto_rank, supports,
                                                scratch, prepare};

}  // namespace webattn::attention
