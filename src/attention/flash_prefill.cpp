// Fused online-softmax attention (FlashAttention-2 style) for prefill and chunked prefill;
// few query rows on a long context split it into chunks merged like split-kv's (FlashDecoding).
#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <string>

#include "attention/launch.hpp"

namespace webattn::attention {

namespace {

struct FlashShape {
  uint32_t tx;             // threads along keys / head dim: 16 (64 rows per 256 threads), 8 (128 rows) or 32 (32)
  uint32_t bc;             // keys per tile
  uint32_t threads = 256;  // per workgroup: 256, or 128 (half the rows: twice the workgroups)
  uint32_t chunks = 1;     // context chunks per row block (most per call): > 1 = split, merged after
  uint32_t min_tiles = 1;  // key tiles per chunk at least (a call's span may give fewer chunks)
  uint32_t p_w = 0;        // P_SHUFFLE: the subgroup width the probabilities are shuffled in (0: P tile)
  bool prefetch_k = true;  // PREFETCH_K: the next K tile held in registers through the P.V phase
  bool q_tile = false;     // Q_TILE: the block's query rows staged in workgroup memory
  uint32_t rows() const { return 4 * (threads / tx); }
};

// The generated text for the partial states of a split context (SPLIT), or stubs never called.
std::string split_wgsl(bool split) {
  if (!split)
    return "const SPLIT: bool = false;\nfn put_partial(i: u32, v: vec4<f32>) {}\n"
           "fn put_partial_ml(i: u32, v: vec2<f32>) {}\n"
           "fn chunk_first_tile(t: u32, z: u32) -> u32 { return t; }\n"
           "fn chunk_end_tile(t: u32, z: u32) -> u32 { return t; }\n";
  // Chunk z: tiles [first + z * per, first + (z + 1) * per) from the first row's first visible tile.
  return "const SPLIT: bool = true;\n"
         "fn chunk_first_tile(t: u32, z: u32) -> u32 { return max(t, visible_start(0u) / BC + z * (p.chunk_len / BC)); }\n"
         "fn chunk_end_tile(t: u32, z: u32) -> u32 {\n"
         "  return min(t, visible_start(0u) / BC + (z + 1u) * (p.chunk_len / BC));\n}\n"
         "@group(0) @binding(8) var<storage, read_write> part_o: array<vec4<f32>>;\n"
         "@group(0) @binding(9) var<storage, read_write> part_ml: array<vec2<f32>>;\n"
         "fn put_partial(i: u32, v: vec4<f32>) { part_o[i] = v; }\n"
         "fn put_partial_ml(i: u32, v: vec2<f32>) { part_ml[i] = v; }\n";
}

// The form a prefetched K/V tile waits in registers until it is stored in workgroup memory (the
// same for an f32 cache). With 64-row tiles an f16 cache stays packed (half the registers, unpacked
// as stored): S=C=128 29.5 -> 27.5 us, 32 tokens at input_pos 4064 149 -> 131, level with f32;
// with 128-row tiles that form was slower than unpacking at the load (S=C=2048 1474 vs 1392 us,
// 1024 398 vs 379; f32 1363 / 367). H200, bench/RESULTS.md, session 8.
std::string tile_regs_wgsl(uint32_t tx) {
  if (tx >= 16)
    return "alias TileVec4 = KvVec4;\nfn tile_load(v: KvVec4) -> TileVec4 { return v; }\n"
           "fn tile_unpack(v: TileVec4) -> vec4<f32> { return kv_unpack(v); }\n";
  return "alias TileVec4 = vec4<f32>;\nfn tile_load(v: KvVec4) -> TileVec4 { return kv_unpack(v); }\n"
         "fn tile_unpack(v: TileVec4) -> vec4<f32> { return v; }\n";
}

// Whether the next K tile is loaded into registers a phase ahead (PREFETCH_K: issued before the P.V loop,
// stored after it) or right before it is stored (KNext a placeholder, the loads' latency exposed).
std::string k_prefetch_wgsl(bool on) {
  if (on)
    return "const PREFETCH_K: bool = true;\nalias KNext = array<TileVec4, NL>;\n"
           "fn k_first(t: u32, kvh: u32, key0: u32) -> KNext { return fetch_tile(t, kvh, key0, false); }\n"
           "fn k_tile(t: u32, kvh: u32, key0: u32, next: KNext) -> array<TileVec4, NL> { return next; }\n"
           "fn k_after(t: u32, kvh: u32, key0: u32) -> KNext { return fetch_tile(t, kvh, key0, false); }\n";
  return "const PREFETCH_K: bool = false;\nalias KNext = u32;\n"
         "fn k_first(t: u32, kvh: u32, key0: u32) -> KNext { return 0u; }\n"
         "fn k_tile(t: u32, kvh: u32, key0: u32, next: KNext) -> array<TileVec4, NL> { return fetch_tile(t, kvh, key0, false); }\n"
         "fn k_after(t: u32, kvh: u32, key0: u32) -> KNext { return 0u; }\n";
}

// How the P.V loop gets the probabilities (the kernel's P_SHUFFLE): from the threads that
// computed them by subgroupShuffle (p_w: the subgroup width), or through the P tile in workgroup
// memory (p_w 0).
std::string p_wgsl(uint32_t p_w) {
  if (p_w == 0)
    return "const P_SHUFFLE: bool = false;\nconst P_W: u32 = TX;\n"
           "var<workgroup> p_tile: array<vec4<f32>, BC * (WGT / TX)>;\n"  // the header's own constants
           "const P_SWIZZLE: u32 = min(8u, WGT / TX) - 1u;\n"  // the XOR stays within the TY row groups
           "fn p_put(kl: u32, ty: u32, v: vec4<f32>) { p_tile[kl * TY + (ty ^ (kl & P_SWIZZLE))] = v; }\n"
           "fn p_get(k: u32, ty: u32, mine: vec4<f32>, src: u32) -> vec4<f32> { return p_tile[k * TY + (ty ^ (k & P_SWIZZLE))]; }\n"
           "fn p_path_all(c: bool) -> bool { return c; }\n";
  // subgroupAll makes the path the same in every lane of the subgroup, which WGSL's analysis
  // (workgroup scope) cannot see: the shuffles run in subgroup-uniform control flow.
  return "enable subgroups;\nconst P_SHUFFLE: bool = true;\nconst P_W: u32 = " + std::to_string(p_w) + "u;\n"
         "fn p_put(kl: u32, ty: u32, v: vec4<f32>) {}\n"
         "@diagnostic(off, subgroup_uniformity) fn p_get(k: u32, ty: u32, mine: vec4<f32>, src: u32) -> vec4<f32> {\n"
         "  return subgroupShuffle(mine, src);\n}\n"
         "@diagnostic(off, subgroup_uniformity) fn p_path_all(c: bool) -> bool { return subgroupAll(c); }\n";
}

// Q_TILE: the block's query rows staged once in workgroup memory (q_stage, after the first K tile's loads
// are issued; padding rows repeat the last row), and the score loop's q loads (12 in the kernel's text)
// replaced by reads of that tile. Without the tile the kernel's text is left as it is: the same loads
// through a function (q_at) cost up to 1.3% at llama3-8b's D 128 on the H200 (bench/RESULTS.md, session 20).
std::string q_wgsl(bool tile, uint32_t rows, uint32_t d4) {
  if (!tile) return "const Q_TILE: bool = false;\n";
  return "const Q_TILE: bool = true;\nconst Q_TILE_LEN: u32 = " + std::to_string(rows * d4) + "u;\n" +
         "var<workgroup> q_tile: array<vec4<f32>, Q_TILE_LEN>;\n"
         "fn q_stage(t: u32, row0: u32, rows_total: u32, g: u32, kvh: u32) {\n"
         "  for (var i: u32 = t; i < Q_TILE_LEN; i = i + WGT) {\n"
         "    let r = min(row0 + i / D4, rows_total - 1u);\n"
         "    q_tile[i] = q_unpack(q[((r / g) * p.q_heads + kvh * g + r % g) * D4 + i % D4]);\n"
         "  }\n}\n";
}
std::vector<std::pair<std::string, std::string>> q_edits(bool tile) {
  if (!tile) return {};
  std::vector<std::pair<std::string, std::string>> e{
      {"  var k_next: KNext = k_first(t, kvh, first_tile * BC);\n",
       "  var k_next: KNext = k_first(t, kvh, first_tile * BC);\n  q_stage(t, row0, rows_total, g, kvh);\n"}};
  for (const char* d : {"d4", "d4 + 1u"})
    for (int i = 0; i < 4; ++i)
      e.push_back({"q_unpack(q[qbase[" + std::to_string(i) + "] + " + d + "])",
                   "q_tile[(ty * 4u + " + std::to_string(i) + "u) * D4 + " + d + "]"});
  return e;
}

// The module for this tile shape; `extra` is generated text (the cache window accessors).
gpu::ShaderSpec spec(const FlashShape& f, uint32_t d4, const std::string& kv, const std::string& extra,
                     bool split = false) {
  const uint32_t dv = (d4 + f.tx - 1) / f.tx;
  return {"flash_prefill",
          {"attention_params", kv},
          "const D4: u32 = " + std::to_string(d4) + "u;\nconst BC: u32 = " + std::to_string(f.bc) +
              "u;\nconst DV: u32 = " + std::to_string(dv) + "u;\nconst TX: u32 = " + std::to_string(f.tx) +
              "u;\nconst WGT: u32 = " + std::to_string(f.threads) + "u;\n" + tile_regs_wgsl(f.tx) + p_wgsl(f.p_w) + k_prefetch_wgsl(f.prefetch_k) +
              q_wgsl(f.q_tile, f.rows(), d4) +
              split_wgsl(split) + extra,
          {},
          q_edits(f.q_tile)};
}

// Workgroup memory of the kernel at this tile shape, as its WGSL declares it.
uint64_t shared_bytes(const FlashShape& f, uint32_t d4) { return workgroup_bytes(spec(f, d4, "kv_f32", "")); }

// $name set to word a or b (a measurement switch), or "" when unset or empty; any other value throws
// ConfigError naming it.
std::string env_word(const char* name, const std::string& a, const std::string& b) {
  const char* e = std::getenv(name);
  if (!e || !*e) return "";
  const std::string v(e);
  if (v == a || v == b) return v;
  throw ConfigError(std::string(name) + "=" + v + " is not one of " + a + ", " + b);
}

// $WEBATTN_FLASH_P: "shuffle" or "memory" forces how P reaches the P.V loop ("" when unset).
std::string p_env() { return env_word("WEBATTN_FLASH_P", "shuffle", "memory"); }

// The subgroup width P is shuffled in (0: the P tile): where the adapter reports one width W
// that a row group's TX lanes divide (lanes taken as t % W, as split-kv's subgroup form does).
uint32_t p_shuffle_width(const AdapterSummary& dev, uint32_t tx) {
  const std::string forced = p_env();
  const uint32_t w = dev.subgroup_min_size;
  const bool can = dev.subgroups && w == dev.subgroup_max_size && w >= tx && w % tx == 0 && w <= 128;
  if (forced == "memory") return 0;
  if (forced == "shuffle" && !can)
    throw UnsupportedError("WEBATTN_FLASH_P=shuffle: flash-prefill needs subgroups of one width that " +
                           std::to_string(tx) + " lanes divide (the adapter reports " +
                           (dev.subgroups ? std::to_string(w) + ".." + std::to_string(dev.subgroup_max_size)
                                          : std::string("none")) +
                           ")");
  return can ? w : 0;
}

// $WEBATTN_FLASH_PREFETCH_K: "on" or "off" forces PREFETCH_K ("" when unset).
std::string prefetch_k_env() { return env_word("WEBATTN_FLASH_PREFETCH_K", "on", "off"); }

// PREFETCH_K unless D > 64 with 128-row tiles (TX 8) or 128-thread workgroups: there the prefetched tile's
// registers cost more than the loads' latency it hides. The 128-row kernel at D=128 sits at 255 registers with
// 11 more spilled into workgroup memory (the driver's statistics) and runs without the prefetch at 255 with no
// spill (the 128-thread kernel's registers were counted without it only: 227). H200, llama3-8b heads, f32, on /
// off (bench/RESULTS.md, session 15): S=C=2048 1388 / 1258 us, S=C=128 (128 threads) 31.3 / 27.4; kept where it pays: S=C=512 (64-row tiles) 127.8 / 131.0, llama3.2-1b (D=64)
// S=C=2048 616.9 / 648.9. $WEBATTN_FLASH_PREFETCH_K (on / off) overrides the rule, for tests and measurements.
bool prefetch_k(const FlashShape& f, uint32_t d4) {
  if (const std::string v = prefetch_k_env(); !v.empty()) return v == "on";
  return !(d4 > 16 && (f.tx == 8 || f.threads == 128));
}

// $WEBATTN_FLASH_Q_TILE: "on" or "off" forces the Q tile ("" when unset).
std::string q_tile_env() { return env_word("WEBATTN_FLASH_Q_TILE", "on", "off"); }

// Keys per tile: `preferred` (options or tuning; 0 = none) when it fits, else the most
// that fits (more keys per tile = more FMAs per query load in the score phase); 0 if none does.
uint32_t keys_per_tile(const DeviceLimits& lim, uint32_t d4, uint32_t tx, uint32_t preferred, uint32_t p_w = 0) {
  const auto fits = [&](uint32_t bc) {
    FlashShape f{tx, bc};
    f.p_w = p_w;
    return shared_bytes(f, d4) <= lim.max_compute_workgroup_storage_size;
  };
  if (preferred != 0 && preferred % tx == 0 && fits(preferred)) return preferred;
  for (uint32_t bc : {64u, 48u, 32u, 16u})
    if (bc % tx == 0 && fits(bc)) return bc;
  return 0;
}

// $name set to one of `values` (a measurement switch), or 0 when unset; any other value throws ConfigError
// naming it and them.
uint32_t env_choice(const char* name, std::initializer_list<uint32_t> values) {
  const char* e = std::getenv(name);
  if (!e || !*e) return 0;  // empty: unset, as every switch takes it
  const std::string v(e);
  std::string listed;
  for (const uint32_t x : values) {
    if (v == std::to_string(x)) return x;
    listed += (listed.empty() ? "" : ", ") + std::to_string(x);
  }
  throw ConfigError(std::string(name) + "=" + v + " is not one of " + listed);
}

// $WEBATTN_FLASH_CHUNKS: the context chunks at most (1..64), or 0 when unset.
uint32_t chunks_env() {
  const char* e = std::getenv("WEBATTN_FLASH_CHUNKS");
  if (!e || !*e) return 0;
  const std::string v(e);
  // digits only: strtoul alone would take " 3" and "+3"
  const bool digits = !v.empty() && v.size() <= 2 && v.find_first_not_of("0123456789") == std::string::npos;
  const unsigned long n = digits ? std::stoul(v) : 0;
  if (n < 1 || n > 64)
    throw ConfigError("WEBATTN_FLASH_CHUNKS=" + v + " is not a chunk count from 1 to 64");
  return static_cast<uint32_t>(n);
}

// $WEBATTN_FLASH_THREADS_X: 8, 16 or 32 threads along keys / head dim, or 0 when unset. 32 (each thread
// half the keys and head-dim columns of 16) was slower than the rule on the H200 but at two points of a few
// percent (bench/RESULTS.md, session 19): a measurement form only.
uint32_t threads_x_env() { return env_choice("WEBATTN_FLASH_THREADS_X", {8, 16, 32}); }

// Workgroups along the packed query rows of one kv head.
uint32_t row_blocks(const CallShape& sh, const FlashShape& f) {
  return static_cast<uint32_t>((uint64_t{sh.rows()} + f.rows() - 1) / f.rows());
}

// Threads per workgroup: 128 where 256-thread workgroups would number at most kFewWorkgroups
// (short prompts: each holds one of the GPU's multiprocessors, most of which would idle), else 256,
// unless the options or the tuning fix it (`webattn tune` times the rule against 256 always).
// H200, llama3-8b heads, 128 / 256 threads (bench/RESULTS.md, sessions 6 and 8): S=C=128 (64
// workgroups of 256) 27.6 / 38.6 us, 256 (128 of them) 55.2 / 63.9, 512 (256) 151.3 / 122.6; with
// two score chains at D=128, 128 32.9 / 41.0, 256 66.6 / 68.7. $WEBATTN_FLASH_THREADS (128 or 256)
// overrides the rule (not the options or the tuning), for tests and measurements.
constexpr uint64_t kFewWorkgroups = 128;
uint32_t workgroup_threads(const CallShape& sh, const Settings& st, uint32_t tx) {
  if (st.flash_workgroup_threads != 0) return st.flash_workgroup_threads;
  if (const uint32_t forced = env_choice("WEBATTN_FLASH_THREADS", {128, 256})) return forced;
  return uint64_t{row_blocks(sh, {tx, 0, 256})} * sh.cache.kv_heads <= kFewWorkgroups ? 128 : 256;
}

// Threads along keys / head dim when neither the options nor the tuning fix it: 8 (128-row tiles:
// twice the rows per K/V tile, twice the FMAs per workgroup-memory load) where they still give
// at least kWideTileWorkgroups workgroups and D <= 128 (the head dims measured), else 16 (64-row
// tiles: twice the workgroups). H200, llama3-8b heads (bench/RESULTS.md, session 8): S=C=2048
// 1529 -> 1364 us, llama3.2-1b 2048 814 -> 702, but S=512 (128 wide workgroups) 125 -> 145; on the
// H100 (session 1's kernel) 128-row tiles were slower everywhere: `webattn tune` times the rule
// against 64-row tiles and saves flash_threads_x 16 where the rule loses. $WEBATTN_FLASH_THREADS_X
// (8, 16, or 32: a measurement form, see threads_x_env) overrides the rule (not the options or the tuning),
// for tests and measurements.
constexpr uint64_t kWideTileWorkgroups = 256;
uint32_t threads_x(const CallShape& sh, const Settings& st) {
  if (st.flash_threads_x != 0) return st.flash_threads_x;
  if (const uint32_t forced = threads_x_env()) return forced;
  const bool enough = uint64_t{row_blocks(sh, {8, 0, 256})} * sh.cache.kv_heads >= kWideTileWorkgroups;
  return enough && sh.cache.head_dim <= 128 ? 8 : 16;
}

FlashShape tile_shape(const AdapterSummary& dev, const CallShape& sh, const Settings& st) {
  const uint32_t d4 = sh.cache.head_dim / 4;
  uint32_t tx = threads_x(sh, st);
  uint32_t p_w = p_shuffle_width(dev, tx);
  uint32_t bc = keys_per_tile(dev.limits, d4, tx, st.flash_keys_per_tile, p_w);
  if (bc == 0 && tx != 16) {  // 128-row tiles (or TX 32's tiles of 32 or 64 keys) do not fit this device: 64-row ones
    tx = 16;
    p_w = p_shuffle_width(dev, tx);
    bc = keys_per_tile(dev.limits, d4, tx, st.flash_keys_per_tile, p_w);
  }
  FlashShape f{tx, bc};
  f.p_w = p_w;
  return f;
}

// Context chunks per row block (FlashDecoding's split applied to prefill). A workgroup walks its
// row block's key tiles one after another, so a short prompt on a long context (chunked prefill
// of a few tokens, rows too many for split-kv) leaves most of the GPU idle while few workgroups
// walk many tiles: where the row blocks give fewer than kSplitBelow workgroups, the keys are
// split into chunks of whole tiles, about kSplitTarget workgroups in all, each chunk at least
// kMinTilesPerChunk tiles (the merge, split_kv_reduce, is a dispatch of its own and costs about
// what 2 tiles do). H200, llama3-8b heads (bench/RESULTS.md, session 7): S=32 at input_pos 4064
// 527 -> 148 us with 8 chunks; S=128 at 3968 529 -> 507 us with 3; S=C=128 or 256 (3 or 6
// tiles) slower split (29.0 -> 35.0 us with 2 chunks, 64.7 -> 66.2), so they stay one pass.
// FlashShape::chunks is the most a call / plan can have (its scratch); each call splits its own
// span (chunking()). $WEBATTN_FLASH_CHUNKS (1..64) forces the most, with chunks of any length,
// for tests and measurements. The split needs two more storage bindings than the plain kernel
// (part_o, part_ml; the sinks and LSE move to the merge): where the device's
// maxStorageBuffersPerShaderStage cannot hold them, or one binding cannot hold the partial
// states, it stays off.
constexpr uint64_t kSplitBelow = 256, kSplitTarget = 256;
constexpr uint32_t kMinTilesPerChunk = 8;
void context_chunks(const CallShape& sh, const Settings& st, const DeviceLimits& lim, uint32_t windows, FlashShape& f) {
  f.chunks = 1;
  f.min_tiles = kMinTilesPerChunk;
  const uint64_t state_bytes = uint64_t{sh.cache.kv_heads} * sh.rows() * sh.cache.head_dim * 4;
  const uint64_t tiles = std::max<uint64_t>(1, (uint64_t{sh.max_context} + f.bc - 1) / f.bc);
  const uint64_t most = std::max<uint64_t>(1, std::min<uint64_t>(tiles, lim.max_storage_buffer_binding_size / state_bytes));
  const uint32_t forced = chunks_env();
  const uint32_t storage = 4 + (st.mask ? 1 : 0) + 2 * windows;  // q, out, part_o, part_ml, mask, K/V windows
  if (storage > lim.max_storage_buffers_per_shader_stage) return;
  if (forced != 0) {
    f.chunks = static_cast<uint32_t>(std::min<uint64_t>(forced, most));
    f.min_tiles = 1;
    return;
  }
  const uint64_t wgs = uint64_t{row_blocks(sh, f)} * sh.cache.kv_heads;
  if (wgs >= kSplitBelow) return;
  f.chunks = static_cast<uint32_t>(
      std::max<uint64_t>(1, std::min<uint64_t>({(kSplitTarget + wgs - 1) / wgs, tiles / kMinTilesPerChunk, most, 64})));
}

// Q_TILE (the block's query rows staged in workgroup memory) where D <= 64, the tile fits beside the chosen
// K/V tile (never shrunk for it), the context is not split, and the grid is 64-row tiles on 256 threads or at
// most kFewWorkgroups 128-thread workgroups. H200, llama3.2-1b heads (D 64), f32 unless noted, per call, off / on
// (bench/RESULTS.md, session 20): S=C=128 (128 workgroups of 128 threads) 14.9 / 14.3 us, f16 cache 15.9 /
// 15.35; S=C=512 (64-row tiles) 64.0 / 59.9, f16 66.0 / 62.0; but S=C=256 (256 workgroups of 128) 28.3 /
// 29.3, 32 tokens at 4064 (a split context: 256 workgroups) 65.5 / 87.4; S=C=1024 (128-row tiles) does not
// fit. At D 128 only 48-key tiles fit beside it, and those cost more than it saves (session 19: llama3-8b
// S=C=128 23.0 -> 25.1, 512 118.4 -> 127.2). $WEBATTN_FLASH_Q_TILE (on / off) overrides the rule,
// for tests and measurements (on where it does not fit: supports() says why).
bool q_tile(const CallShape& sh, const FlashShape& f, const DeviceLimits& lim) {
  if (const std::string v = q_tile_env(); !v.empty()) return v == "on";
  FlashShape with = f;
  with.q_tile = true;
  if (sh.cache.head_dim > 64 || shared_bytes(with, sh.cache.head_dim / 4) > lim.max_compute_workgroup_storage_size)
    return false;
  if (f.chunks > 1) return false;  // split contexts: the one measured (128 threads) was slower with it
  const uint64_t wgs = uint64_t{row_blocks(sh, f)} * sh.cache.kv_heads;
  return (f.threads == 256 && f.tx == 16) || (f.threads == 128 && wgs <= kFewWorkgroups);
}

// The shape a call / plan runs with: tile, threads and context chunks.
FlashShape call_shape(const CallShape& sh, const Settings& st, const AdapterSummary& dev, uint32_t windows) {
  FlashShape f = tile_shape(dev, sh, st);
  f.threads = workgroup_threads(sh, st, f.tx);
  f.prefetch_k = prefetch_k(f, sh.cache.head_dim / 4);
  context_chunks(sh, st, dev.limits, windows, f);
  f.q_tile = q_tile(sh, f, dev.limits);
  return f;
}

// $WEBATTN_FLASH_UPDATE: "fused" or "separate" forces where the cache update runs ("" when unset).
std::string update_env() { return env_word("WEBATTN_FLASH_UPDATE", "fused", "separate"); }

// Whether the flash-prefill pass (the first one of a split context) writes the call's k_new / v_new
// into the cache itself (FUSED_UPDATE: one dispatch fewer per call) instead of the Sdpa's update pass
// before it. Only where every key of every call is the call's own (max_context = S: input_pos 0, the
// first prompt), so the pass reads k_new / v_new alone and never the cache it writes. Needs the cache in
// one binding, two more storage bindings (k_new, v_new) within maxStorageBuffersPerShaderStage and k_new
// within one binding. $WEBATTN_FLASH_UPDATE=separate forces the update pass, =fused the fused one (an
// UnsupportedError naming why where it cannot run).
// By default only where the saved dispatch outweighs what the fused form adds (k_new's f32 rows loaded
// instead of an f16 cache's halves, the rows' stores before the first tile): 128-thread workgroups (short
// prompts), or 64-row tiles over an f32 cache. H200, per call, fused / separate (bench/RESULTS.md,
// session 18): llama3-8b f32 S=C=128 23.1 / 25.2 us, 256 50.2 / 52.7, 512 118.4 / 121.8, but 1024 (128-row
// tiles) 338.1 / 337.3 and 2048 1243.5 / 1230.1; f16 cache 128 24.5 / 24.8, 512 120.5 / 117.1, 2048 1497.6
// / 1238.7; llama3.2-1b f32 128 14.9 / 17.3, f16 16.0 / 17.2. The general form (any input_pos: the caches
// read through their read_write bindings, each key's source picked by its position) was slower at every
// point: S=C=128 31.2 / 25.2, 2048 1488 / 1229, 32 tokens at 4064 331 / 154.
// Why the fused update cannot run this call ("" where it can). `kv_new_bytes`: the larger of k_new's and
// v_new's sizes (supports(), which sees no tensor, passes f32's: the larger of the two dtypes).
std::string fused_update_why_not(const CallShape& sh, const Settings& st, const DeviceLimits& lim, uint32_t windows,
                                 const FlashShape& f, uint64_t kv_new_bytes) {
  Settings pass_st = st;
  if (f.chunks > 1) {  // the split pass leaves the sinks and the LSE to the merge and binds the partial states
    pass_st.sinks.clear();
    pass_st.lse = false;
  }
  const uint32_t storage = fused_prefill_storage(pass_st, windows, (f.chunks > 1 ? 2 : 0) + 2);
  if (sh.max_context != sh.seq_len)
    return "calls reach " + std::to_string(sh.max_context) + " keys for " + std::to_string(sh.seq_len) +
           " new ones (the fused update needs input_pos 0: every key the call's own)";
  if (windows != 1) return "the cache is bound as " + std::to_string(windows) + " windows (the fused update needs one)";
  if (storage > lim.max_storage_buffers_per_shader_stage)
    return "it needs " + std::to_string(storage) + " storage buffers, over the device's " +
           std::to_string(lim.max_storage_buffers_per_shader_stage) + " per shader stage";
  if (kv_new_bytes > lim.max_storage_buffer_binding_size)
    return "k_new / v_new (" + std::to_string(kv_new_bytes) + " bytes) exceed the device's maxStorageBufferBindingSize " +
           std::to_string(lim.max_storage_buffer_binding_size);
  return "";
}

bool fuse_update(const PrepareInputs& in, const FlashShape& f) {
  const std::string v = update_env();
  if (v == "separate") return false;
  const uint64_t values = uint64_t{in.shape.seq_len} * in.shape.cache.kv_heads * in.shape.cache.head_dim;
  const auto bytes = [values](const Tensor& t) { return values * (t.dtype() == DType::F16 ? 2 : 4); };
  const std::string why = fused_update_why_not(in.shape, in.settings, in.device.limits(), in.windows.count, f,
                                               std::max(bytes(in.op.k_new), bytes(in.op.v_new)));
  if (!why.empty() && v == "fused") throw UnsupportedError("WEBATTN_FLASH_UPDATE=fused: flash-prefill: " + why);
  if (!why.empty()) return false;
  return v == "fused" || f.threads == 128 || (in.shape.cache.dtype == DType::F32 && f.tx == 16);
}

int auto_rank(const CallShape&) { return 20; }  // prefill: one fused pass, no S x C buffer

std::string supports(const CallShape& sh, const Settings& st, const AdapterSummary& dev) {
  const uint32_t d = sh.cache.head_dim;
  if (keys_per_tile(dev.limits, d / 4, 16, 0) == 0)
    return "flash-prefill: head_dim " + std::to_string(d) + " needs " + std::to_string(shared_bytes({16, 16}, d / 4)) +
           " bytes of workgroup memory, device offers " + std::to_string(dev.limits.max_compute_workgroup_storage_size);
  // The pass that will run binds its buffers: one pass all of them; a split context (which
  // context_chunks() takes only where its own bindings fit) leaves the sinks and lse to the merge.
  const uint32_t windows = cache_windows(dev.limits, sh.cache).count;
  const FlashShape f = call_shape(sh, st, dev, windows);
  // Its grid: row blocks x kv heads x context chunks (a split's merge: query rows x kv heads).
  std::vector<GridDim> dims{{"row blocks of " + std::to_string(f.rows()) + " query rows", row_blocks(sh, f)},
                            {"kv heads", sh.cache.kv_heads},
                            {"context chunks", f.chunks}};
  if (f.chunks > 1) dims.push_back({"query rows (S x Hq/Hkv) of the merge", sh.rows()});
  if (std::string why = grid_why_not("flash-prefill", dims, dev.limits); !why.empty()) return why;
  if (f.q_tile && shared_bytes(f, d / 4) > dev.limits.max_compute_workgroup_storage_size)
    return "flash-prefill: WEBATTN_FLASH_Q_TILE=on: the query rows' tile takes the workgroup memory to " +
           std::to_string(shared_bytes(f, d / 4)) + " bytes, over the device's " +
           std::to_string(dev.limits.max_compute_workgroup_storage_size);
  // A forced fused update refuses here what prepare() would (Auto then picks another algorithm).
  if (update_env() == "fused")
    if (std::string why = fused_update_why_not(sh, st, dev.limits, windows, f,
                                               uint64_t{sh.seq_len} * sh.cache.kv_heads * sh.cache.head_dim * 4);
        !why.empty())
      return "flash-prefill: WEBATTN_FLASH_UPDATE=fused: " + why;
  if (f.chunks > 1) return "";
  return storage_why_not("flash-prefill", fused_prefill_storage(st, windows), windows, dev.limits);
}

// The partial states of a split context: [Hkv, chunks, S*g] (o: D/4 vec4, m and l: 8 bytes).
std::vector<Scratch> scratch(const CallShape& sh, const Settings& st, const AdapterSummary& dev) {
  const FlashShape f = call_shape(sh, st, dev, cache_windows(dev.limits, sh.cache).count);
  if (f.chunks == 1) return {};
  const uint64_t partials = uint64_t{sh.cache.kv_heads} * f.chunks * sh.rows();
  return {{"flash partial o", partials * (sh.cache.head_dim / 4) * 16}, {"flash partial m,l", partials * 8}};
}

std::vector<PreparedPass> prepare(const PrepareInputs& in) {
  const CallShape& sh = in.shape;
  const uint32_t d4 = sh.cache.head_dim / 4;
  const FlashShape f = call_shape(sh, in.settings, in.device.adapter(), in.windows.count);
  const gpu::Grid grid{row_blocks(sh, f), sh.cache.kv_heads, 1};
  const bool update = fuse_update(in, f);
  std::vector<PreparedPass> passes;
  if (f.chunks == 1) {
    passes.push_back(fused_prefill_pass(
        in, [&](const std::string& extra) { return spec(f, d4, in.kv, extra); },
        [grid](KernelParams&) { return grid; }, {}, update));
    return passes;
  }
  // Split context: chunks of whole tiles from the first row's first visible tile to the
  // context's end, at most f.chunks of them; the sinks and the LSE are the merge's.
  const gpu::Buffer& part_o = in.workspace.at("flash partial o");
  const gpu::Buffer& part_ml = in.workspace.at("flash partial m,l");
  const Settings st = in.settings;
  const auto chunking = [st, f](KernelParams& prm) {
    const uint32_t first_tile = first_visible_key(st, prm.input_pos) / f.bc;
    const uint32_t span = (prm.context_len + f.bc - 1) / f.bc - first_tile;  // tiles
    const uint32_t n = std::clamp<uint32_t>(span / f.min_tiles, 1, f.chunks);
    const uint32_t per_chunk = (span + n - 1) / n;
    prm.chunk_len = per_chunk * f.bc;
    prm.n_chunks = (span + per_chunk - 1) / per_chunk;
  };
  Settings flash_st = in.settings;
  flash_st.sinks.clear();
  flash_st.lse = false;
  Operands flash_op = in.op;
  flash_op.lse.reset();
  const PrepareInputs flash_in{in.device, in.shape, flash_st, flash_op, in.workspace, in.windows, in.kv};
  passes.push_back(fused_prefill_pass(
      flash_in, [&](const std::string& extra) { return spec(f, d4, in.kv, extra, true); },
      [grid, chunking](KernelParams& prm) {
        chunking(prm);
        return gpu::Grid{grid.x, grid.y, prm.n_chunks};
      },
      {{"part_o", &part_o}, {"part_ml", &part_ml}}, update));
  passes.push_back(split_kv_merge_pass(in, part_o, part_ml, f.chunks, false, chunking));
  return passes;
}

bool updates_cache(const PrepareInputs& in) {
  return fuse_update(in, call_shape(in.shape, in.settings, in.device.adapter(), in.windows.count));
}

}  // namespace

void check_flash_prefill_switches() {
  env_choice("WEBATTN_FLASH_THREADS", {128, 256});
  threads_x_env();
  chunks_env();
  p_env();
  prefetch_k_env();
  q_tile_env();
  update_env();
}

extern const AlgorithmEntry flash_prefill_entry{Algorithm::FlashPrefill, "flash-prefill", auto_rank, supports,
                                                scratch, prepare, updates_cache};

}  // namespace webattn::attention
