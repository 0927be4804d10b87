// Split-KV decode (FlashDecoding): chunks of the context in parallel, then a
// log-sum-exp merge. For S = 1 and small S (up to 32 query rows per kv head).
#include <algorithm>
#include <cstdlib>

#include "attention/launch.hpp"

namespace webattn::attention {

namespace {
constexpr uint32_t kWorkgroup = 128;
constexpr uint32_t kMaxRows = 32;
constexpr uint64_t kMaxChunk = 256;
constexpr uint64_t kCapChunksPerHead = 64;

constexpr uint32_t kKeysPerTile = 32;  // one aligned group of 32 invocations per row in the score phase

uint64_t shared_bytes(uint32_t rows, uint32_t d4) {
  return uint64_t{rows} * d4 * 16 + uint64_t{kKeysPerTile} * (d4 + 1) * 16 + rows * kKeysPerTile * 4 +
         5 * rows * 4 + kWorkgroup * 16 + kWorkgroup * 4 + 16;  // + the row-reduce prelude's width probe
}

bool fits(const gpu::Device& dev, uint32_t rows, uint32_t d4) {
  return shared_bytes(rows, d4) <= dev.limits().max_compute_workgroup_storage_size;
}

// The row-reduction prelude: bare shuffles where the adapter reports subgroups at least 32
// wide (trusting that report: an in-kernel check cost 2x on the H200), shuffles at the
// real width combined through memory where it reports narrower ones (lavapipe: 8; this
// path costs 2x on the H200, so it is not the default there), memory alone without
// subgroups.
// $WEBATTN_ROW_REDUCE (row_reduce_subgroup32 / row_reduce_subgroup / row_reduce_shared)
// overrides the choice, for tests and measurements.
const char* reduce_prelude(const gpu::Device& dev) {
  if (const char* forced = std::getenv("WEBATTN_ROW_REDUCE")) {
    for (const char* name : {"row_reduce_subgroup32", "row_reduce_subgroup", "row_reduce_shared"})
      if (std::string(forced) == name && (dev.has_subgroups() || std::string(name) == "row_reduce_shared")) return name;
    throw UnsupportedError(std::string("WEBATTN_ROW_REDUCE=") + forced + " is not one of row_reduce_subgroup32, "
                           "row_reduce_subgroup (both need subgroups), row_reduce_shared");
  }
  if (!dev.has_subgroups()) return "row_reduce_shared";
  return dev.adapter().subgroup_min_size >= 32 ? "row_reduce_subgroup32" : "row_reduce_subgroup";
}
uint32_t padded_rows(uint32_t rows) {
  uint32_t p = 1;
  while (p < rows) p *= 2;
  return p;
}
}  // namespace

bool split_kv_supported(const gpu::Device& dev, uint32_t rows, uint32_t head_dim, std::string* why_not) {
  std::string why;
  if (rows > kMaxRows)
    why = "split-kv: " + std::to_string(rows) + " query rows per kv head (S x Hq/Hkv) exceed its limit of " +
          std::to_string(kMaxRows);
  else if (head_dim / 4 > kWorkgroup)
    why = "split-kv: head_dim " + std::to_string(head_dim) + " exceeds its limit of " + std::to_string(kWorkgroup * 4);
  else if (!fits(dev, padded_rows(rows), head_dim / 4))
    why = "split-kv: " + std::to_string(rows) + " rows x head_dim " + std::to_string(head_dim) +
          " do not fit the device's workgroup memory (" +
          std::to_string(dev.limits().max_compute_workgroup_storage_size) + " bytes)";
  if (why_not) *why_not = why;
  return why.empty();
}

uint32_t split_kv_chunk_len(uint32_t context_len, uint32_t kv_heads, uint32_t target_workgroups) {
  const uint64_t per_wg = (uint64_t{context_len} * kv_heads + target_workgroups - 1) / target_workgroups;
  // Chunks are capped at kMaxChunk keys (many more tiles per workgroup serialise), but a
  // long context may use up to context_len / kCapChunksPerHead keys per chunk, so it keeps
  // about kCapChunksPerHead chunks per kv head instead of thousands (whose partials made
  // the reduce pass slow). With the kv-head-fastest workgroup order of split_kv_decode,
  // measured on the H100 (bench/results/2026-11-25-h100-splitkv): C = 32768 f32 110 vs
  // 115 us, f16 90 vs 95 us; C = 131072 f32 379 vs 407 us per call.
  const uint64_t cap = std::max<uint64_t>(kMaxChunk, (uint64_t{context_len} / kCapChunksPerHead + 31) / 32 * 32);
  return static_cast<uint32_t>(std::clamp<uint64_t>((per_wg + 31) / 32 * 32, 32, cap));
}

void encode_split_kv(gpu::Recorder& rec, Workspace& ws, const Problem& pb, uint32_t target_workgroups) {
  auto& dev = pb.cache.context().device();
  KernelParams prm = pb.params;
  const uint32_t d4 = prm.head_dim / 4;
  const uint32_t g = prm.q_heads / prm.kv_heads;
  const uint32_t rows = prm.seq_len * g;
  const uint32_t rows_pow2 = padded_rows(rows);
  const uint32_t bk = kKeysPerTile;
  prm.chunk_len = split_kv_chunk_len(prm.context_len, prm.kv_heads, target_workgroups);
  prm.n_chunks = (prm.context_len + prm.chunk_len - 1) / prm.chunk_len;
  const uint64_t partials = uint64_t{prm.kv_heads} * prm.n_chunks * rows;
  gpu::Buffer& part_o = ws.get("split_kv partial o", partials * d4 * 16);
  gpu::Buffer& part_ml = ws.get("split_kv partial m,l", partials * 8);

  const std::string header = "const D4: u32 = " + std::to_string(d4) + "u;\nconst BK: u32 = " + std::to_string(bk) +
                             "u;\nconst ROWS: u32 = " + std::to_string(rows_pow2) +
                             "u;\nconst WG: u32 = " + std::to_string(kWorkgroup) + "u;\nconst SAME_VIS: bool = " +
                             (prm.seq_len == 1 || prm.causal == 0 ? "true" : "false") + ";\n";
  const std::string kv = pb.kv;
  const std::vector<CacheAccess> reads{CacheAccess::ReadKeys, CacheAccess::ReadValues};
  const auto& decode = dev.pipelines().get(
      {"split_kv_decode", {reduce_prelude(dev), "attention_params", kv}, header + cache_access_wgsl(pb.windows, reads), {}});
  std::vector<gpu::Binding> bindings{{1, &pb.q.buffer()}, cache_window0(2, pb.windows, pb.cache.keys()),
                                     cache_window0(3, pb.windows, pb.cache.values()), {4, &part_o}, {5, &part_ml}};
  bind_cache_windows(bindings, pb.windows, pb.cache, reads);
  rec.dispatch("split_kv_decode", decode, prm, bindings, {prm.n_chunks, prm.kv_heads, 1});

  // Many lanes per row: the reduce walks the chunks in lanes, so more lanes = shorter walks.
  uint32_t wg = 1;
  while (wg * 2 <= std::min<uint32_t>(1024, dev.limits().max_compute_invocations_per_workgroup)) wg *= 2;
  const auto& reduce = dev.pipelines().get({"split_kv_reduce", {"attention_params"}, "", {{"WG", wg}}});
  rec.dispatch("split_kv_reduce", reduce, prm, {{1, &part_o}, {2, &part_ml}, {3, &pb.out.buffer()}},
               {rows, prm.kv_heads, 1});
}

void reserve_split_kv(Workspace& ws, const KernelParams& prm, uint32_t max_context, uint32_t target_workgroups) {
  // The chunk count is not monotonic in the context length (chunk lengths round up to
  // whole tiles), so take the largest over every length a step can have.
  uint64_t most_chunks = 1;
  for (uint32_t len = prm.seq_len; len <= max_context; ++len) {
    const uint32_t chunk = split_kv_chunk_len(len, prm.kv_heads, target_workgroups);
    most_chunks = std::max<uint64_t>(most_chunks, (len + chunk - 1) / chunk);
  }
  const uint64_t partials = uint64_t{prm.kv_heads} * most_chunks * prm.seq_len * (prm.q_heads / prm.kv_heads);
  ws.get("split_kv partial o", partials * (prm.head_dim / 4) * 16);
  ws.get("split_kv partial m,l", partials * 8);
}

}  // namespace webattn::attention
