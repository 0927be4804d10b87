// Split-KV decode (FlashDecoding): chunks of the context in parallel, then a
// log-sum-exp merge: a second dispatch (split_kv_reduce), or, for one token with few chunks,
// the last workgroup of each kv head in the same dispatch (one_pass() below). For S = 1 and
// small S (up to 32 query rows per kv head).
#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <string>

#include "attention/launch.hpp"

namespace webattn::attention {

namespace {
constexpr uint32_t kWorkgroup = 128;
constexpr uint32_t kMaxRows = 32;
constexpr uint32_t kMaxChunk = 256;
constexpr uint64_t kCapChunksPerHead = 64;

constexpr uint32_t kKeysPerTile = 32;  // one aligned group of 32 invocations per row in the score phase

// The module for `rows` query rows (a power of two) per kv head; `extra` is generated text
// (the cache window accessors). same_vis: every row sees the same keys (S = 1 or not
// causal), so the kernel's per-row visibility test is compiled out.
gpu::ShaderSpec spec(uint32_t rows, uint32_t d4, const char* reduce_prelude, const std::string& kv,
                     const std::string& extra, bool same_vis = false, bool fused = false) {
  return {"split_kv_decode",
          {reduce_prelude, "attention_params", kv},
          std::string("const FUSED: bool = ") + (fused ? "true" : "false") + ";\nconst D4: u32 = " + std::to_string(d4) + "u;\nconst BK: u32 = " + std::to_string(kKeysPerTile) +
              "u;\nconst ROWS: u32 = " + std::to_string(rows) + "u;\nconst WG: u32 = " + std::to_string(kWorkgroup) +
              "u;\nconst SAME_VIS: bool = " + (same_vis ? "true" : "false") + ";\n" + extra,
          {}};
}

// Workgroup memory of the kernel as its WGSL declares it, with the portable row reduction
// (which adds one array to the subgroup one), so what fits does not depend on the prelude.
uint64_t shared_bytes(uint32_t rows, uint32_t d4) {
  return workgroup_bytes(spec(rows, d4, "row_reduce_shared", "kv_f32", ""));
}

// The row-reduction prelude: bare shuffles where the adapter reports subgroups at least 32
// wide (trusting that report: an in-kernel check of the real width cost 2x on the H200),
// shuffles at the real width combined through memory where it reports narrower ones
// (lavapipe: 8; that path also costs 2x on the H200, so it is not used there), memory
// alone without subgroups. $WEBATTN_ROW_REDUCE (row_reduce_subgroup32 /
// row_reduce_subgroup / row_reduce_shared) overrides the choice, for tests and measurements.
// A measurement switch: "" when unset or empty, else one of `values` (ConfigError naming them).
std::string env_one_of(const char* name, std::initializer_list<const char*> values, const char* listed) {
  const char* e = std::getenv(name);
  if (!e || !*e) return "";
  for (const char* v : values)
    if (std::string(e) == v) return e;
  throw ConfigError(std::string(name) + "=" + e + " is not one of " + listed);
}
std::string row_reduce_env() {
  return env_one_of("WEBATTN_ROW_REDUCE", {"row_reduce_subgroup32", "row_reduce_subgroup", "row_reduce_shared"},
                    "row_reduce_subgroup32, row_reduce_subgroup (both need subgroups), row_reduce_shared");
}
std::string kernel_env() { return env_one_of("WEBATTN_SPLIT_KV_KERNEL", {"tiles", "subgroup"}, "tiles, subgroup"); }
std::string update_env() { return env_one_of("WEBATTN_SPLIT_KV_UPDATE", {"separate", "fused"}, "separate, fused"); }
std::string rescale_env() { return env_one_of("WEBATTN_SPLIT_KV_RESCALE", {"always", "lazy"}, "always, lazy"); }
std::string prefetch_env() { return env_one_of("WEBATTN_SPLIT_KV_PREFETCH", {"on", "off"}, "on, off"); }
std::string passes_env() { return env_one_of("WEBATTN_SPLIT_KV_PASSES", {"one", "two"}, "one, two"); }

const char* reduce_prelude(const gpu::Device& dev) {
  if (const std::string forced = row_reduce_env(); !forced.empty()) {
    if (forced == "row_reduce_shared") return "row_reduce_shared";
    if (!dev.has_subgroups())
      throw UnsupportedError("WEBATTN_ROW_REDUCE=" + forced + " needs subgroups, which this device does not have");
    return forced == "row_reduce_subgroup32" ? "row_reduce_subgroup32" : "row_reduce_subgroup";
  }
  if (!dev.has_subgroups()) return "row_reduce_shared";
  return dev.adapter().subgroup_min_size >= 32 ? "row_reduce_subgroup32" : "row_reduce_subgroup";
}
uint32_t padded_rows(uint32_t rows) {
  uint32_t p = 1;
  while (p < rows) p *= 2;
  return p;
}

// Stage 1's subgroup form (split_kv_decode_subgroup.wgsl) for one new token: its shape on
// this device, or why it cannot run (the tile form split_kv_decode.wgsl runs instead).
struct SubgroupForm {
  uint32_t w = 0, lk = 0, kg = 1, dl = 0, rows = 0, ki = 0, n = 0, vpl = 0, shift = 0, row_bit0 = 0;
  uint32_t nsg = 4;  // subgroups per workgroup (subgroups_per_workgroup())
  uint32_t merge_bytes = 8192;  // workgroup memory for merging the subgroups' rows (merge_budget())
  uint32_t g = 0;    // query rows per kv head (S = 1: Hq / Hkv)
  std::string why_not;
};
constexpr uint32_t kSubgroupsPerWorkgroup = 4;
// K (and V) vec4s a lane loads per block: at D = 4 W, 8 keys. H200 (session 9, call 3): 16 keys
// of an f16 cache (its bytes in flight those of 8 f32 keys) took 128 registers and spilled,
// 5-11% slower per call (8-12% per model step); 32 keys 205 registers, 1.4x slower.
constexpr uint32_t kMaxLoadsPerLane = 8;
// Workgroup memory for merging the subgroups' rows at a chunk's end: 8 KiB, or (one pass) what the device
// leaves (merge_budget()).
constexpr uint32_t kMergeBytes = 8192;

bool is_pow2(uint32_t x) { return x != 0 && (x & (x - 1)) == 0; }

uint32_t log2u(uint32_t x) {
  uint32_t b = 0;
  while ((1u << b) < x) ++b;
  return b;
}

// A measurement switch taking a power of two from lo to hi: 0 when unset, else its value
// (ConfigError naming the variable otherwise).
uint32_t pow2_env(const char* name, uint32_t lo, uint32_t hi) {
  const char* e = std::getenv(name);
  if (!e || !*e) return 0;
  const std::string v = e;
  const bool digits = v.size() <= 4 && v.find_first_not_of("0123456789") == std::string::npos;
  const uint32_t n = digits ? static_cast<uint32_t>(std::stoul(v)) : 0;
  if (!is_pow2(n) || n < lo || n > hi)
    throw ConfigError(std::string(name) + "=" + v + " is not a power of two from " + std::to_string(lo) + " to " +
                      std::to_string(hi));
  return n;
}

// $WEBATTN_SPLIT_KV_BLOCK_KEYS: the subgroup form's keys per block, for measurements (0: unset).
// Read whichever form runs, so a bad value is refused the same way on every shape.
uint32_t block_keys_env() { return pow2_env("WEBATTN_SPLIT_KV_BLOCK_KEYS", 1, 128); }

// $WEBATTN_SPLIT_KV_KEY_GROUPS: the subgroup form's key groups (KG: W / KG lanes per key), for
// measurements (0: unset).
uint32_t key_groups_env() { return pow2_env("WEBATTN_SPLIT_KV_KEY_GROUPS", 1, 32); }

// Key groups by default: 1 where W divides head_dim / 4 (the subgroup's lanes share each key's head
// dim); for a head dim below 4 W, W / LK groups of LK lanes, LK the largest power of two dividing
// head_dim / 4 (at least 4 lanes; else the tile form runs). H200, session 11 (bench/RESULTS.md):
// llama3.2-1b (D = 64) with 2 groups against the tile form, f16 / f32 cache: C = 4096 27.2 -> 13.3
// / 27.0 -> 13.3 us, 32768 105.8 -> 30.8 / 115.5 -> 43.6 (4 groups 1-8% slower than 2); llama3-8b
// (D = 128) with 2 or 4 groups instead of 1 was 17-24% slower (168 registers).
uint32_t default_key_groups(uint32_t d4, uint32_t w) {
  if (d4 == 0 || d4 % w == 0 || d4 > w) return 1;
  uint32_t lk = 1;
  while (lk * 2 <= w && d4 % (lk * 2) == 0) lk *= 2;
  return lk >= 4 ? w / lk : 1;
}

// $WEBATTN_SPLIT_KV_MERGE_THREADS: the merge pass's workgroup size at most (0: unset), for measurements.
constexpr uint32_t kMergeThreads = 256;
uint32_t merge_threads_env() { return pow2_env("WEBATTN_SPLIT_KV_MERGE_THREADS", 32, 1024); }

SubgroupForm subgroup_form(const CallShape& sh, const AdapterSummary& dev, bool has_subgroups) {
  SubgroupForm f;
  const uint32_t d4 = sh.cache.head_dim / 4, w = dev.subgroup_min_size;
  const uint32_t forced_kg = key_groups_env();
  f.kg = forced_kg ? forced_kg : (w != 0 && is_pow2(w) ? default_key_groups(d4, w) : 1);
  const uint32_t lk = f.kg <= w ? w / f.kg : 0;
  if (sh.seq_len != 1) {
    f.why_not = "it serves one new token (S = 1), not " + std::to_string(sh.seq_len);
  } else if (!has_subgroups || w != dev.subgroup_max_size || !is_pow2(w) || w < 4 || w > 128) {
    f.why_not = "it needs subgroups of one power-of-two width from 4 to 128 (the adapter reports " +
                (has_subgroups ? std::to_string(w) + ".." + std::to_string(dev.subgroup_max_size) : std::string("none")) +
                ")";
  } else if (lk < 4) {
    f.why_not = std::to_string(f.kg) + " key groups leave fewer than 4 of the subgroup's " + std::to_string(w) +
                " lanes per key";
  } else if (d4 % lk != 0 || d4 / lk > kMaxLoadsPerLane) {
    f.why_not = "head_dim " + std::to_string(sh.cache.head_dim) + " is not a multiple of 4 x " + std::to_string(lk) +
                " lanes up to " + std::to_string(4 * lk * kMaxLoadsPerLane);
  } else if (padded_rows(sh.rows()) > w) {
    f.why_not = std::to_string(sh.rows()) + " query rows per kv head exceed the subgroup's " + std::to_string(w) +
                " lanes";
  }
  if (!f.why_not.empty()) return f;
  f.w = w;
  f.lk = lk;
  f.dl = d4 / lk;
  f.rows = padded_rows(sh.rows());
  f.g = sh.rows();
  // Keys per group and block: at most one sum per lane after lane_sum by default (N <= LK).
  f.ki = std::max(1u, std::min(lk / f.rows, kMaxLoadsPerLane / f.dl));
  if (const uint32_t k = block_keys_env()) {
    if (k > lk)
      throw ConfigError("WEBATTN_SPLIT_KV_BLOCK_KEYS=" + std::to_string(k) + " exceeds the " + std::to_string(lk) +
                        " lanes of a key");
    f.ki = k;
  }
  f.n = f.ki * f.rows;
  f.vpl = std::max(1u, f.n / lk);
  f.shift = f.n < lk ? log2u(lk / f.n) : 0;
  f.row_bit0 = 1u << (f.shift + log2u(f.rows / f.vpl));
  return f;
}

uint32_t merge_rows_env() { return pow2_env("WEBATTN_SPLIT_KV_MERGE_ROWS", 1, 32); }
// Rows per round of the subgroups' merge at a chunk's end (RB), within f.merge_bytes (each round costs two
// workgroup barriers and a walk over the subgroups' values: H200, session 14: 16 subgroups merging one row a
// round, 4 rounds, took 2.1 us of a 14.8 us call at C = 4096). $WEBATTN_SPLIT_KV_MERGE_ROWS forces it
// (at most the rows; one pass checks it against the device's workgroup memory, a two-pass kernel over
// the limit fails as Dawn refuses its pipeline).
uint32_t merge_rows_per_round(const SubgroupForm& f, uint32_t d4) {
  if (const uint32_t forced = merge_rows_env()) return std::min(forced, f.rows);
  uint32_t rb = 1;
  while (rb * 2 <= f.rows && uint64_t{f.nsg} * rb * 2 * d4 * 16 <= f.merge_bytes) rb *= 2;
  return rb;
}
// Threads per (row, vec4) item adding the subgroups' values in the merge at a chunk's end (TPI): as many
// as the workgroup has for the round's items, at most the subgroups (each adds NSG / TPI values, then the
// TPI adjacent lanes by shuffles).
uint32_t merge_threads_per_item(const SubgroupForm& f, uint32_t d4, uint32_t rb) {
  const uint32_t wg = f.nsg * f.w, items = rb * d4;
  uint32_t tpi = 1;
  while (tpi * 2 <= f.nsg && tpi * 2 <= f.w && uint64_t{items} * tpi * 2 <= wg) tpi *= 2;
  return tpi;
}

// lane_sum() of the subgroup form: adds each of a lane's N values over the LK lanes of its key group. Transposing
// stages come first (lanes with the stage's bit set keep the upper half of their values and send
// the lower, the others the reverse), until VPL values are left: N - VPL shuffles; then plain
// butterfly steps over the lane bits left. Lane l ends with the sums of values (l >> SHIFT) * VPL + u.
std::string lane_sum_wgsl(const SubgroupForm& f) {
  std::string s = "fn lane_sum(x: array<f32, N>, gl: u32) -> array<f32, VPL> {\n";
  auto name = [](uint32_t stage, uint32_t i) { return "v" + std::to_string(stage) + "_" + std::to_string(i); };
  for (uint32_t i = 0; i < f.n; ++i) s += "  let " + name(0, i) + " = x[" + std::to_string(i) + "u];\n";
  uint32_t count = f.n, stage = 0, offset = f.lk / 2;
  for (; count > f.vpl; count /= 2, ++stage, offset /= 2) {
    const std::string b = "b" + std::to_string(stage), o = std::to_string(offset) + "u";
    s += "  let " + b + " = (gl & " + o + ") != 0u;\n";
    for (uint32_t i = 0; i < count / 2; ++i) {
      const std::string lo = name(stage, i), hi = name(stage, i + count / 2);
      s += "  let " + name(stage + 1, i) + " = select(" + lo + ", " + hi + ", " + b + ") + subgroupShuffleXor(select(" +
           hi + ", " + lo + ", " + b + "), " + o + ");\n";
    }
  }
  if (f.vpl > 1) {  // every lane bit used by a transposing stage
    std::string list;
    for (uint32_t i = 0; i < f.vpl; ++i) list += (i ? ", " : "") + name(stage, i);
    return s + "  return array<f32, VPL>(" + list + ");\n}\n";
  }
  s += "  var r: f32 = " + name(stage, 0) + ";\n";
  for (; offset >= 1; offset /= 2) s += "  r = r + subgroupShuffleXor(r, " + std::to_string(offset) + "u);\n";
  return s + "  return array<f32, VPL>(r);\n}\n";
}

// Which form of stage 1 runs: the subgroup form wherever it can (one token, a fixed subgroup
// width; measured on the H200: bench/RESULTS.md), else the tile form. $WEBATTN_SPLIT_KV_KERNEL
// = tiles / subgroup forces one (tests, A/B measurements; subgroup where it cannot run is an
// error naming why).
bool use_subgroup_form(const SubgroupForm& f) {
  if (const std::string v = kernel_env(); !v.empty()) {
    if (v == "tiles") return false;
    if (!f.why_not.empty())
      throw UnsupportedError("WEBATTN_SPLIT_KV_KERNEL=subgroup: split-kv's subgroup form cannot run: " + f.why_not);
    return true;
  }
  return f.why_not.empty();
}

// How a call's context is cut: about `target` (chunk, kv head) workgroups, chunks of min_chunk to
// max_chunk keys (split_kv_chunk_len).
struct Chunking {
  uint32_t target = 0, max_chunk = 0, min_chunk = 32;
};

uint32_t chunk_len(uint32_t context_len, uint32_t kv_heads, const Chunking& ch) {
  return split_kv_chunk_len(context_len, kv_heads, ch.target, ch.max_chunk, ch.min_chunk);
}

// PREFETCH (the next block's K/V loads issued before this block's arithmetic, twice the K/V
// registers): with an f16 cache, whose blocks carry half an f32 block's bytes through the same
// arithmetic, where the longest context of the call / plan gives each subgroup at least
// kPrefetchBlocks blocks per chunk. H200, llama3-8b heads (bench/RESULTS.md, session 11): f16
// C = 131072 144.4 -> 137.7 us, 32768 48.1 -> 46.0, 16384 (8 blocks) 31.7 -> 31.0, 12288 (6)
// 25.1 -> 24.7, but 8192 (4 blocks) 19.1 -> 19.8 and 4096 (2) 15.4 -> 16.2; f32 slower everywhere
// (122 -> 216 registers; it reads at the floor from 32768 without; with 4 keys per block, 128
// registers, level). $WEBATTN_SPLIT_KV_PREFETCH=on|off forces it, for tests and measurements.
constexpr uint32_t kPrefetchBlocks = 6;
bool prefetch(const CallShape& sh, const SubgroupForm& f, const std::string& kv, const Chunking& ch) {
  if (const std::string v = prefetch_env(); !v.empty()) return v == "on";
  if (kv == "kv_f32") return false;
  const uint32_t chunk = chunk_len(sh.max_context, sh.cache.kv_heads, ch);
  return chunk >= kPrefetchBlocks * f.nsg * f.ki * f.kg;
}

gpu::ShaderSpec subgroup_spec(const SubgroupForm& f, uint32_t d4, const std::string& kv, const std::string& extra,
                              bool fused, bool prefetch, bool one_pass) {
  const auto c = [](const char* name, uint32_t v) {
    return std::string("const ") + name + ": u32 = " + std::to_string(v) + "u;\n";
  };
  // The running max moves only when a score passes it by more than LAZY_MARGIN = 8 (natural
  // log units: probabilities stay below e^8 ~ 2981); $WEBATTN_SPLIT_KV_RESCALE=always rescales
  // every block, for A/B measurements.
  const bool lazy = rescale_env() != "always";
  // ONE_PASS: the merge's threads per (row, vec4) item and chunks per step of loads (MB: 8, fewer
  // where the parts leave each at most a few of kOnePassChunks' chunks, to spare registers).
  const uint32_t items = f.g * d4, wg = f.nsg * f.w;
  const uint32_t parts = items != 0 && wg > items ? wg / items : 1;
  const uint32_t mb = std::clamp(16 / parts, 1u, 8u);
  const uint32_t rb = merge_rows_per_round(f, d4);
  return {"split_kv_decode_subgroup",
          {"attention_params", kv, one_pass ? "split_kv_subgroup_one_pass" : "split_kv_subgroup_two_pass"},
          std::string("const FUSED: bool = ") + (fused ? "true" : "false") + ";\nconst LAZY: bool = " +
              (lazy ? "true" : "false") + ";\nconst PREFETCH: bool = " + (prefetch ? "true" : "false") + ";\nconst LAZY_MARGIN: f32 = " + (lazy ? "8.0" : "0.0") + ";\n" + c("D4", d4) + c("ROWS", f.rows) +
              c("W", f.w) + c("LK", f.lk) + c("KG", f.kg) + c("NSG", f.nsg) + c("DL", f.dl) + c("KI", f.ki) + c("N", f.n) +
              c("VPL", f.vpl) + c("SHIFT", f.shift) + c("ROW_BIT0", f.row_bit0) + c("RB", rb) + c("TPI", merge_threads_per_item(f, d4, rb)) + c("PARTS", parts) + c("PARTS_SH", parts > 1 ? wg : 1) + c("MB", mb) +
              lane_sum_wgsl(f) + extra,
          {}};
}

uint32_t n_chunks(uint32_t context_len, uint32_t chunk_len) { return (context_len + chunk_len - 1) / chunk_len; }

// Few query rows per kv head: only context-parallel work fills the GPU. Beyond 16 rows it
// is still preferred to three-pass where flash-prefill cannot run.
int auto_rank(const CallShape& sh) { return sh.rows() <= 16 ? 30 : 15; }

uint64_t most_chunks(const CallShape& sh, const Settings& st);

// Storage buffers of the two-pass form's first pass: q, the K and V caches (`windows` bindings each),
// both partial-state buffers and the mask if asked (prepare() checks its list against this).
uint32_t first_pass_storage(const Settings& st, uint32_t windows) { return 3 + 2 * windows + (st.mask ? 1 : 0); }

std::string supports(const CallShape& sh, const Settings& st, const AdapterSummary& dev) {
  const uint32_t rows = sh.rows(), head_dim = sh.cache.head_dim;
  if (rows > kMaxRows)
    return "split-kv: " + std::to_string(rows) + " query rows per kv head (S x Hq/Hkv) exceed its limit of " +
           std::to_string(kMaxRows);
  if (head_dim / 4 > kWorkgroup)
    return "split-kv: head_dim " + std::to_string(head_dim) + " exceeds its limit of " +
           std::to_string(kWorkgroup * 4);
  if (shared_bytes(padded_rows(rows), head_dim / 4) > dev.limits.max_compute_workgroup_storage_size)
    return "split-kv: " + std::to_string(rows) + " rows x head_dim " + std::to_string(head_dim) +
           " do not fit the device's workgroup memory (" +
           std::to_string(dev.limits.max_compute_workgroup_storage_size) + " bytes)";
  // The first pass binds q, the cache windows, both partial-state buffers and the mask (the merge
  // fewer; one pass and the merge's cache update fall back to two passes where theirs do not fit).
  const uint32_t windows = cache_windows(dev.limits, sh.cache).count;
  if (std::string why = storage_why_not("split-kv", first_pass_storage(st, windows), windows, dev.limits);
      !why.empty())
    return why;
  // The partial states' o (scratch(): the larger buffer) is bound whole.
  const uint64_t most = most_chunks(sh, st);
  // Its grids: chunks x kv heads (first pass), query rows x kv heads (merge).
  if (std::string why = grid_why_not("split-kv", {{"context chunks", most}, {"kv heads", sh.cache.kv_heads}, {"query rows", rows}},
                                     dev.limits);
      !why.empty())
    return why;
  const uint64_t o_bytes = uint64_t{sh.cache.kv_heads} * most * rows * (head_dim / 4) * 16;
  if (o_bytes > dev.limits.max_storage_buffer_binding_size)
    return "split-kv: its partial states (" + std::to_string(o_bytes) + " bytes of o for up to " + std::to_string(most) +
           " context chunks x " + std::to_string(rows) + " rows x " + std::to_string(sh.cache.kv_heads) +
           " kv heads) exceed this device's maxStorageBufferBindingSize " +
           std::to_string(dev.limits.max_storage_buffer_binding_size);
  return "";
}

// The most chunks any step of the call / plan can have (its partial states are reserved
// once). The chunk count is not monotonic in the span (chunk lengths round up to whole
// tiles), so take the largest over the range; under a window the span (context minus the
// keys left of it) can be as short as S keys.
// The target workgroup count: the tuning's, or by the form of the first pass (Tuning's 0):
// measured on the H200 for the subgroup form (session 9: 512 within 1% of the best of 512 ..
// 2048 at every context, 1024 up to 19% slower), on the H100 for the tile form.
// With nsg subgroups per workgroup instead of kSubgroupsPerWorkgroup, the subgroup form's target
// scales by kSubgroupsPerWorkgroup / nsg and its chunk bounds by nsg / kSubgroupsPerWorkgroup: as
// many subgroups in all, each walking as many keys.
constexpr uint32_t kSubgroupFormWorkgroups = 512, kTileFormWorkgroups = 1024;
Chunking chunking_of(const Settings& st, bool subgroup_form, uint32_t nsg = kSubgroupsPerWorkgroup) {
  const uint32_t times = subgroup_form ? std::max(1u, nsg / kSubgroupsPerWorkgroup) : 1u;
  const uint32_t target = st.split_kv_workgroups ? st.split_kv_workgroups
                          : !subgroup_form       ? kTileFormWorkgroups
                                                 : std::max(1u, kSubgroupFormWorkgroups / times);
  return {target, kMaxChunk * times, 32 * times};
}

// The most chunks any step of the call / plan can have under any of `cuts` (its partial states
// are reserved once).
uint64_t most_chunks(const CallShape& sh, const Settings& st, const std::vector<Chunking>& cuts) {
  uint64_t most = 1;
  const uint32_t shortest = st.window_left != 0 ? std::min(sh.min_context, sh.seq_len) : sh.min_context;
  // When the merge pass takes the step's own keys (fuse_update) the chunks span S keys fewer:
  // a shorter span can have more chunks (C = 65537 had 410, its span 65536 has 512).
  const uint32_t lo = shortest > sh.seq_len ? shortest - sh.seq_len : 1u;
  for (const Chunking& ch : cuts)
    most = std::max<uint64_t>(
        most, split_kv_most_chunks(lo, sh.max_context, sh.cache.kv_heads, ch.target, ch.max_chunk, ch.min_chunk));
  return most;
}
// Either form at kSubgroupsPerWorkgroup: at least as many chunks as any other subgroup count
// (fewer workgroups wanted, longer chunks allowed), so this bounds every call of the plan.
uint64_t most_chunks(const CallShape& sh, const Settings& st) {
  return most_chunks(sh, st, {chunking_of(st, true), chunking_of(st, false)});
}

// The one-pass form's counters and partial states live in a buffer of their own
// (split_kv_subgroup_one_pass.wgsl: zero between calls, which only that kernel keeps true),
// reserved where one pass may run.
constexpr const char* kOnePass = "split_kv one-pass counters + partial states";
// One dispatch by default only where the call (plan) has at most kOnePassChunks chunks per kv head
// (one_pass() below).
constexpr uint64_t kOnePassChunks = 16;
// The call's (plan's) most chunks per kv head under `ch` where that may be within kOnePassChunks:
// the longest context's count first, so long calls are decided without the walk over every length
// (returned as is where it exceeds kOnePassChunks, unless `exact`).
uint64_t most_chunks_if_few(const CallShape& sh, const Settings& st, const Chunking& ch, bool exact) {
  const uint64_t last = n_chunks(sh.max_context, chunk_len(sh.max_context, sh.cache.kv_heads, ch));
  return !exact && last > kOnePassChunks ? last : most_chunks(sh, st, {ch});
}
// Words of the one-pass scratch: Hkv counters, then (m, l) and o of every partial state.
uint64_t one_pass_bytes(const CallShape& sh, uint64_t chunks) {
  const uint64_t partials = uint64_t{sh.cache.kv_heads} * chunks * sh.rows();
  return uint64_t{sh.cache.kv_heads} * 4 + partials * 8 + partials * (sh.cache.head_dim / 4) * 16;
}

// Subgroups per workgroup of the subgroup form (NSG). For one token, so that one dispatch runs
// with few chunks per kv head (their partial states are what the merging workgroup reads): the
// first of 8 and 16 subgroups whose chunks per kv head (chunks as many times longer: the same
// subgroups in all, each walking as many keys) are 8 to 16 over the call (plan), else
// kSubgroupsPerWorkgroup (one pass where that gives at most kOnePassChunks, as before); where the
// device takes workgroups that large. H200, llama3-8b heads, per call, the previous rule (4; one
// dispatch up to 512 keys) -> this one, f16 / f32 cache (bench/RESULTS.md, session 13): C = 512
// 10.4 -> 9.1 / 10.6 -> 9.4 us (8 subgroups), 1024 11.7 -> 10.1 / 12.1 -> 10.7 (8), 2048 13.8 ->
// 12.6 / 14.4 -> 13.8 (16), 4096 15.6 -> 14.8 / 16.4 -> 16.9 (16), 8192 19.2 -> 18.3 / 29.2 -> 28.6,
// 16384 30.8 -> 29.4 (f16); 256 stays at 4 (8.1 us; 8 subgroups 8.6); 32768 (32 chunks at 16
// subgroups: 45.8 -> 53.4 forced) two dispatches at 4. $WEBATTN_SPLIT_KV_SUBGROUPS forces a count
// (4 to 32), for tests and measurements.
constexpr uint32_t kMinOnePassChunks = 8;
uint32_t subgroups_env() { return pow2_env("WEBATTN_SPLIT_KV_SUBGROUPS", kSubgroupsPerWorkgroup, 32); }
// Why a workgroup of nsg subgroups of the form cannot run on the device ("" if it can).
std::string subgroups_why_not(const SubgroupForm& form, uint32_t d4, uint32_t nsg, const AdapterSummary& dev) {
  const uint32_t limit =
      std::min(dev.limits.max_compute_invocations_per_workgroup, dev.limits.max_compute_workgroup_size_x);
  if (uint64_t{nsg} * form.w > limit)
    return std::to_string(nsg) + " subgroups of " + std::to_string(form.w) + " lanes exceed the device's " +
           std::to_string(limit) + " invocations per workgroup";
  SubgroupForm f = form;
  f.nsg = nsg;
  // The one-pass prelude's arrays are the larger (its merge's).
  const uint64_t bytes = workgroup_bytes(subgroup_spec(f, d4, "kv_f32", "", false, false, true));
  if (bytes > dev.limits.max_compute_workgroup_storage_size)
    return std::to_string(nsg) + " subgroups need " + std::to_string(bytes) + " bytes of workgroup memory, over the device's " +
           std::to_string(dev.limits.max_compute_workgroup_storage_size);
  return "";
}
// One pass: the subgroups' merge takes the workgroup memory the device leaves beside the kernel's other arrays,
// up to every row in one round (one pass runs few workgroups, at most kOnePassChunks per kv head: their
// workgroup memory does not limit how many run at once where it counts). H200, session 14: 16 subgroups at
// g = 4, D = 128 merge in one round with 32 KiB instead of four with 8 KiB.
uint32_t merge_budget(const SubgroupForm& form, uint32_t d4, const AdapterSummary& dev) {
  SubgroupForm f = form;
  f.merge_bytes = 0;  // one row a round: the kernel's other arrays and that row
  const uint64_t one_row = uint64_t{f.nsg} * d4 * 16;
  const uint64_t others = workgroup_bytes(subgroup_spec(f, d4, "kv_f32", "", false, false, true)) - one_row;
  const uint64_t limit = dev.limits.max_compute_workgroup_storage_size;
  return static_cast<uint32_t>(std::max<uint64_t>(kMergeBytes, limit > others ? limit - others : 0));
}
uint32_t subgroups_per_workgroup(const CallShape& sh, const Settings& st, const AdapterSummary& dev,
                                 const SubgroupForm& form) {
  const uint32_t d4 = sh.cache.head_dim / 4;
  if (const uint32_t forced = subgroups_env()) {
    if (form.why_not.empty())
      if (const std::string why = subgroups_why_not(form, d4, forced, dev); !why.empty())
        throw ConfigError("WEBATTN_SPLIT_KV_SUBGROUPS=" + std::to_string(forced) + ": " + why);
    return forced;
  }
  if (!form.why_not.empty() || sh.seq_len != 1 || passes_env() == "two") return kSubgroupsPerWorkgroup;
  for (uint32_t nsg : {2 * kSubgroupsPerWorkgroup, 4 * kSubgroupsPerWorkgroup}) {
    if (!subgroups_why_not(form, d4, nsg, dev).empty()) break;
    const uint64_t most = most_chunks_if_few(sh, st, chunking_of(st, true, nsg), false);
    if (most >= kMinOnePassChunks && most <= kOnePassChunks) return nsg;
  }
  return kSubgroupsPerWorkgroup;
}

std::vector<Scratch> scratch(const CallShape& sh, const Settings& st, const AdapterSummary& dev) {
  const uint64_t most = most_chunks(sh, st);
  const uint64_t partials = uint64_t{sh.cache.kv_heads} * most * sh.rows();
  std::vector<Scratch> s{{"split_kv partial o", partials * (sh.cache.head_dim / 4) * 16},
                         {"split_kv partial m,l", partials * 8}};
  // Reserved where one pass may run (forced, or the default's chunk count), sized as one_pass() decides.
  const std::string passes = passes_env();
  if (sh.seq_len == 1 && passes != "two") {
    const Chunking ch =
        chunking_of(st, true, subgroups_per_workgroup(sh, st, dev, subgroup_form(sh, dev, dev.subgroups)));
    const uint64_t one = most_chunks_if_few(sh, st, ch, passes == "one");
    if (passes == "one" || one <= kOnePassChunks) s.push_back({kOnePass, one_pass_bytes(sh, one)});
  }
  return s;
}

// Whether the merge pass writes the step's k_new / v_new into the cache and takes those keys
// from them (split_kv_reduce's FUSED): one dispatch fewer per call. Needs the merge's storage
// bindings (partials, out, sinks, lse, q, k_new, v_new, mask, the cache windows written) within
// the device's maxStorageBuffersPerShaderStage; else the Sdpa's separate cache update runs.
// $WEBATTN_SPLIT_KV_UPDATE=separate forces the separate update (tests, A/B measurements).
bool fuse_update_in_merge(const PrepareInputs& in) {
  if (update_env() == "separate") return false;
  const Settings& st = in.settings;
  const uint32_t storage = 3 + (st.sinks.empty() ? 0 : 1) + (st.lse ? 1 : 0) + 3 + (st.mask ? 1 : 0) +
                           2 * in.windows.count;
  return storage <= in.device.limits().max_storage_buffers_per_shader_stage;
}

// Whether the one-pass kernel writes the step's k_new / v_new into the cache itself (UPDATE_HERE: the
// caches bound read_write, k_new / v_new bound) rather than after the Sdpa's update pass (the caches bound
// read-only, two storage bindings fewer, one small dispatch more). A writable binding slows the kernel's
// K/V loads, but the update pass costs more: H200, llama3-8b heads, per call, here / read-only after the
// update pass (bench/RESULTS.md, session 20): f16 C = 512 8.6 / 10.5 us, 4096 13.7 / 15.0, 8192 17.6 /
// 18.0, 16384 28.3 / 30.8; f32 4096 15.4 / 16.3; the 32-layer f16 step at 4096 464 / 525. So here, unless
// the kernel's bindings with the update exceed the device's storage-buffer limit and those without it do
// not (e.g. WebGPU's default 8 with a mask, sinks and the LSE): then the update pass and one dispatch,
// instead of the update pass and two. $WEBATTN_SPLIT_KV_UPDATE=fused keeps the update in this kernel (or
// in the merge pass of two), =separate forces the update pass.
uint32_t one_pass_storage(const Settings& st, bool update_here) {
  return 5 + (update_here ? 2 : 0) + (st.mask ? 1 : 0) + (st.sinks.empty() ? 0 : 1) + (st.lse ? 1 : 0);
}
bool one_pass_updates_here(const PrepareInputs& in) {
  const std::string v = update_env();
  if (!v.empty()) return v == "fused";
  return one_pass_storage(in.settings, true) <= in.device.limits().max_storage_buffers_per_shader_stage;
}

// ONE_PASS (split_kv_subgroup_one_pass.wgsl): the last workgroup of each kv head merges the
// partial states in the first pass, and the workgroup whose chunk holds input_pos writes the
// step's k_new / v_new into the cache (or, see one_pass_updates_here, runs after the update pass): a call
// is one dispatch instead of two. Needs the subgroup form, a cache in one binding, and its storage
// bindings (q, K, V, the partial states and counters, out, k_new and v_new where it writes the update,
// and the mask, sinks and LSE asked for) within maxStorageBuffersPerShaderStage.
// By default only where the call (plan) has at most kOnePassChunks chunks per kv head: one workgroup
// per kv head reads all of that head's partial states (and zeroes them), which grows with the chunk
// count. H200, llama3-8b heads (bench/RESULTS.md, session 12), per call, two -> one dispatch: C = 512
// (16 chunks) f16 10.7 -> 10.2 us, f32 11.0 -> 10.5, the 32-layer f16 step 348.7 -> 313.5; C = 2048
// (64 chunks) 13.8 -> 24.3, 4096 15.6 -> 25.9, 131072 139.3 -> 151.7. With 8 or 16 subgroups per
// workgroup (subgroups_per_workgroup(): longer chunks) one dispatch reaches 16384 keys there (session 13;
// 32 chunks at 16 subgroups, C = 32768, 45.8 -> 53.4 forced).
// $WEBATTN_SPLIT_KV_PASSES=two forces the merge dispatch (split_kv_reduce), =one the one pass at any
// chunk count (an UnsupportedError naming why where it cannot run).
// `most`: the call's (plan's) most chunks per kv head.
std::string one_pass_why_not(const PrepareInputs& in, const SubgroupForm& form, bool subgroup, uint64_t most) {
  const Settings& st = in.settings;
  const uint32_t storage = one_pass_storage(st, one_pass_updates_here(in));
  const uint32_t limit = in.device.limits().max_storage_buffers_per_shader_stage;
  if (!subgroup) return "split-kv's subgroup form does not run this call";
  if (in.windows.count != 1)
    return "the cache is bound as " + std::to_string(in.windows.count) + " windows (one pass needs one)";
  if (storage > limit)
    return "it needs " + std::to_string(storage) + " storage buffers, over the device's " + std::to_string(limit) +
           " per shader stage";
  const uint64_t bytes = one_pass_bytes(in.shape, most);
  if (bytes > in.device.limits().max_storage_buffer_binding_size)
    return "its partial states (" + std::to_string(bytes) + " bytes) exceed the device's maxStorageBufferBindingSize " +
           std::to_string(in.device.limits().max_storage_buffer_binding_size);
  // The merge's arrays (one per invocation) come on top of the first pass's workgroup memory.
  if (std::string why = subgroups_why_not(form, in.shape.cache.head_dim / 4, form.nsg, in.device.adapter());
      !why.empty())
    return why;
  return "";
}
bool one_pass(const PrepareInputs& in, const SubgroupForm& form, bool subgroup) {
  const std::string v = passes_env();
  if (v == "two") return false;
  const bool by_rule = v.empty() && subgroup;
  const uint64_t most = most_chunks_if_few(in.shape, in.settings, chunking_of(in.settings, true, form.nsg), !by_rule);
  if (by_rule && most > kOnePassChunks) return false;
  const std::string why = one_pass_why_not(in, form, subgroup, most);
  if (!why.empty() && v == "one") throw UnsupportedError("WEBATTN_SPLIT_KV_PASSES=one: " + why);
  return why.empty();
}

// What prepare() builds: which form runs the first pass, whether it merges too (one pass), and
// whether a merge pass takes the step's own keys (FUSED).
struct Passes {
  SubgroupForm form;
  bool subgroup = false, one_pass = false, fused = false;
  bool update_here = false;  // one pass: the kernel writes the step's key (one_pass_updates_here)
};
Passes passes_of(const PrepareInputs& in) {
  Passes p;
  p.form = subgroup_form(in.shape, in.device.adapter(), in.device.has_subgroups());
  p.subgroup = use_subgroup_form(p.form);
  p.form.nsg = subgroups_per_workgroup(in.shape, in.settings, in.device.adapter(), p.form);
  p.one_pass = one_pass(in, p.form, p.subgroup);
  if (p.one_pass) p.form.merge_bytes = merge_budget(p.form, in.shape.cache.head_dim / 4, in.device.adapter());
  // The rule's 8 or 16 subgroups serve one dispatch (measured there); two run with 4, as measured.
  if (!p.one_pass && subgroups_env() == 0) p.form.nsg = kSubgroupsPerWorkgroup;
  p.fused = !p.one_pass && fuse_update_in_merge(in);
  p.update_here = p.one_pass && one_pass_updates_here(in);
  return p;
}
bool updates_cache(const PrepareInputs& in) {
  const Passes p = passes_of(in);
  return p.update_here || p.fused;
}

// The one-pass kernel's cache bindings and one_pass_start(): with the update here the caches read_write,
// k_new / v_new bound and the step's key and value stored where the workgroup's chunk holds input_pos
// (then a storageBarrier: this workgroup reads them back); else read-only and nothing stored.
std::string one_pass_cache_wgsl(bool update_here) {
  if (!update_here)
    return "const UPDATE_HERE: bool = false;\n"
           "@group(0) @binding(2) var<storage, read> k_cache: array<KvVec4>;\n"
           "@group(0) @binding(3) var<storage, read> v_cache: array<KvVec4>;\n"
           "fn one_pass_start(kvh: u32, t: u32, key_begin: u32, key_end: u32) {}\n";
  return "const UPDATE_HERE: bool = true;\n"
         "@group(0) @binding(2) var<storage, read_write> k_cache: array<KvVec4>;\n"
         "@group(0) @binding(3) var<storage, read_write> v_cache: array<KvVec4>;\n"
         "@group(0) @binding(7) var<storage, read> k_new: array<k_new_vec4>;\n"
         "@group(0) @binding(9) var<storage, read> v_new: array<v_new_vec4>;\n"
         "fn one_pass_start(kvh: u32, t: u32, key_begin: u32, key_end: u32) {\n"
         "  if (key_begin <= p.input_pos && p.input_pos < key_end) {\n"
         "    for (var d: u32 = t; d < D4; d = d + WG) {\n"
         "      let dst = (p.input_pos * p.kv_heads + kvh) * D4 + d;\n"
         "      k_cache[dst] = kv_pack(k_new_unpack(k_new[kvh * D4 + d]));\n"
         "      v_cache[dst] = kv_pack(v_new_unpack(v_new[kvh * D4 + d]));\n"
         "    }\n"
         "    storageBarrier();\n"
         "  }\n"
         "}\n";
}

// The merge pass's generated text for the step's own keys: bindings and accessors (FUSED), or
// stubs that are never called.
std::string new_keys_wgsl(const PrepareInputs& in, bool fused) {
  if (!fused) {
    std::string s = "const FUSED: bool = false;\n"
                    "fn q_row(i: u32) -> vec4<f32> { return vec4<f32>(0.0); }\n"
                    "fn k_new_row(i: u32) -> vec4<f32> { return vec4<f32>(0.0); }\n"
                    "fn v_new_row(i: u32) -> vec4<f32> { return vec4<f32>(0.0); }\n"
                    "fn put_new(dst: u32, src: u32) {}\n";
    if (in.settings.mask)
      s += "fn mask_visible(s: u32, key: u32) -> bool { return true; }\n"
           "fn mask_score(score: f32, s: u32, key: u32) -> f32 { return score; }\n";
    return s;
  }
  // A value as the cache holds it after this pass: rounded to f16 in an f16 cache (cache_vec4_of).
  const std::string as_cached = cache_vec4_of_wgsl(in.kv) +
                                "fn as_cached(v: vec4<f32>) -> vec4<f32> { return kv_unpack(cache_vec4_of(v)); }\n";
  return "const FUSED: bool = true;\n"
         "@group(0) @binding(6) var<storage, read> q: array<q_vec4>;\n"
         "@group(0) @binding(7) var<storage, read> k_new: array<k_new_vec4>;\n"
         "@group(0) @binding(8) var<storage, read> v_new: array<v_new_vec4>;\n"
         "@group(0) @binding(9) var<storage, read_write> k_cache: array<KvVec4>;\n"
         "@group(0) @binding(10) var<storage, read_write> v_cache: array<KvVec4>;\n"
         "fn q_row(i: u32) -> vec4<f32> { return q_unpack(q[i]); }\n" + as_cached +
         "fn k_new_row(i: u32) -> vec4<f32> { return as_cached(k_new_unpack(k_new[i])); }\n"
         "fn v_new_row(i: u32) -> vec4<f32> { return as_cached(v_new_unpack(v_new[i])); }\n"
         "fn put_new(dst: u32, src: u32) {\n"
         "  k_put(dst, kv_pack(k_new_unpack(k_new[src])));\n"
         "  v_put(dst, kv_pack(v_new_unpack(v_new[src])));\n}\n" +
         cache_access_wgsl(in.windows, {CacheAccess::WriteBoth}) +
         activations_wgsl({{"q", in.op.q.dtype()}, {"k_new", in.op.k_new.dtype()}, {"v_new", in.op.v_new.dtype()}});
}

std::vector<PreparedPass> prepare(const PrepareInputs& in) {
  const CallShape& sh = in.shape;
  const uint32_t d4 = sh.cache.head_dim / 4, rows = sh.rows(), kv_heads = sh.cache.kv_heads;
  block_keys_env();  // bad values are refused whichever form runs
  key_groups_env();
  merge_rows_env();
  rescale_env();
  prefetch_env();
  const Passes plan = passes_of(in);
  const SubgroupForm& form = plan.form;
  const bool subgroup = plan.subgroup;
  const Chunking cut = chunking_of(in.settings, subgroup, form.nsg);
  const gpu::Buffer& part_o = in.workspace.at("split_kv partial o");
  const gpu::Buffer& part_ml = in.workspace.at("split_kv partial m,l");
  // Non-causal rows share one range only without a window (its start moves with the row).
  // A mask can differ per row.
  const bool same_vis =
      !in.settings.mask && (sh.seq_len == 1 || (!in.settings.causal && in.settings.window_left == 0));
  const auto& w = in.windows;
  const std::vector<CacheAccess> reads{CacheAccess::ReadKeys, CacheAccess::ReadValues};
  std::vector<gpu::Binding> windows;
  bind_cache_windows(windows, w, in.op.cache, reads);
  std::vector<NamedBinding> split_named{{"q", &gpu_buffer(in.op.q)},
                                        cache_window0("k_cache", w, gpu_keys(in.op.cache)),
                                        cache_window0("v_cache", w, gpu_values(in.op.cache)),
                                        {"part_o", &part_o},
                                        {"part_ml", &part_ml}};
  if (in.op.mask) split_named.push_back({"mask", &gpu_buffer(*in.op.mask)});
  // Chunks cover the keys from the earliest row's first visible one (visible_start(0) in
  // the kernel) to the context's end (FUSED: to input_pos).
  const Settings st = in.settings;
  const bool fused = plan.fused;
  // FUSED: the chunks end at input_pos (the merge takes the step's own keys); there may be none.
  const auto chunking = [cut, st, fused](KernelParams& prm) {
    const uint32_t span = (fused ? prm.input_pos : prm.context_len) - first_visible_key(st, prm.input_pos);
    prm.chunk_len = chunk_len(span, prm.kv_heads, cut);
    prm.n_chunks = n_chunks(span, prm.chunk_len);
  };
  std::vector<PreparedPass> passes;
  const std::string variants = cache_access_wgsl(w, reads) + alibi_wgsl(st, sh.q_heads) + mask_wgsl(st, 8) +
                                variant_wgsl(st);
  const auto split_grid = [chunking, kv_heads](KernelParams& prm) {
    chunking(prm);
    return gpu::Grid{prm.n_chunks, kv_heads, 1};
  };
  if (plan.one_pass) {
    const gpu::Buffer& part = in.workspace.at(kOnePass);
    std::vector<NamedBinding> named{{"q", &gpu_buffer(in.op.q)},
                                    {"k_cache", &gpu_keys(in.op.cache)},
                                    {"v_cache", &gpu_values(in.op.cache)},
                                    {"part", &part},
                                    {"out", &gpu_buffer(in.op.out)}};
    if (plan.update_here) {
      named.push_back({"k_new", &gpu_buffer(in.op.k_new)});
      named.push_back({"v_new", &gpu_buffer(in.op.v_new)});
    }
    if (in.op.mask) named.push_back({"mask", &gpu_buffer(*in.op.mask)});
    std::shared_ptr<gpu::Buffer> sinks;
    if (!st.sinks.empty()) {
      sinks = upload_sinks(in.device, st);
      named.push_back({"sinks", sinks.get()});
    }
    if (in.op.lse) named.push_back({"lse", &gpu_buffer(*in.op.lse)});
    const std::string extra1 =
        one_pass_cache_wgsl(plan.update_here) + variants +
        activations_wgsl({{"q", in.op.q.dtype()}, {"out", in.op.out.dtype()}, {"k_new", in.op.k_new.dtype()},
                          {"v_new", in.op.v_new.dtype()}}) +
        sinks_wgsl(st, 10) + lse_wgsl(st, 11);
    passes.push_back(make_pass(
        in.device, subgroup_spec(form, d4, in.kv, extra1, false, prefetch(sh, form, in.kv, cut), true), named,
        split_grid));
    passes.back().owned = std::move(sinks);
    return passes;
  }
  const std::string extra = variants + activations_wgsl({{"q", in.op.q.dtype()}});
  expect_storage_count("split-kv's first pass", split_named.size() + windows.size(), first_pass_storage(st, w.count));
  passes.push_back(make_pass(
      in.device,
      subgroup ? subgroup_spec(form, d4, in.kv, extra, fused, prefetch(sh, form, in.kv, cut), false)
                              : spec(padded_rows(rows), d4, reduce_prelude(in.device), in.kv, extra, same_vis, fused),
      split_named, split_grid, windows));

  passes.push_back(split_kv_merge_pass(in, part_o, part_ml, most_chunks(sh, in.settings), fused, chunking));
  return passes;
}
}  // namespace

PreparedPass split_kv_merge_pass(const PrepareInputs& in, const gpu::Buffer& part_o, const gpu::Buffer& part_ml,
                                 uint64_t max_chunks, bool fused, std::function<void(KernelParams&)> chunking) {
  const CallShape& sh = in.shape;
  const uint32_t d4 = sh.cache.head_dim / 4, rows = sh.rows(), kv_heads = sh.cache.kv_heads;
  const auto& w = in.windows;
  // One lane per chunk (up to the device's workgroup size): the reduce walks the chunks in
  // lanes, so more lanes = shorter walks, but lanes without a chunk only add barrier and
  // tree steps (short contexts have few chunks).
  // At most kMergeThreads (H200, f16 cache, session 10: 256 against 1024 C=512 11.0 -> 10.7 us,
  // 4096 15.9 -> 15.7, 32768 level, the 32-layer step at 4096 546 -> 538; 128 slower everywhere).
  const uint64_t lanes_wanted = uint64_t{d4} * max_chunks;
  const uint32_t forced = merge_threads_env(), cap = forced ? forced : kMergeThreads;
  uint32_t wg = 1;
  while (wg < d4 || (wg < lanes_wanted &&
                     wg * 2 <= std::min<uint32_t>(cap, in.device.limits().max_compute_invocations_per_workgroup)))
    wg *= 2;
  // Sinks join in the merge: one more term of the denominator, no value row.
  std::vector<NamedBinding> named{{"part_o", &part_o}, {"part_ml", &part_ml}, {"out", &gpu_buffer(in.op.out)}};
  std::vector<gpu::Binding> reduce_windows;
  if (fused) {
    named.push_back({"q", &gpu_buffer(in.op.q)});
    named.push_back({"k_new", &gpu_buffer(in.op.k_new)});
    named.push_back({"v_new", &gpu_buffer(in.op.v_new)});
    named.push_back(cache_window0("k_cache", w, gpu_keys(in.op.cache)));
    named.push_back(cache_window0("v_cache", w, gpu_values(in.op.cache)));
    if (in.op.mask) named.push_back({"mask", &gpu_buffer(*in.op.mask)});
    bind_cache_windows(reduce_windows, w, in.op.cache, {CacheAccess::WriteBoth});
  }
  std::shared_ptr<gpu::Buffer> sinks;
  if (!in.settings.sinks.empty()) {
    sinks = upload_sinks(in.device, in.settings);
    named.push_back({"sinks", sinks.get()});
  }
  if (in.op.lse) named.push_back({"lse", &gpu_buffer(*in.op.lse)});
  // ALiBi: the merge moves the sink onto, and the LSE back from, each row's shifted scale,
  // which needs the row's visible range (WINDOW) too.
  const std::vector<std::pair<std::string, double>> reduce_constants{{"WG", wg}};
  PreparedPass pass = make_pass(in.device,
                                {"split_kv_reduce", {"attention_params", in.kv},
                                 sinks_wgsl(in.settings, 4) + lse_wgsl(in.settings, 5) +
                                     activations_wgsl({{"out", in.op.out.dtype()}}) +
                                     alibi_wgsl(in.settings, sh.q_heads) + mask_wgsl(in.settings, fused ? 11 : -1) +
                                     variant_wgsl(in.settings) + new_keys_wgsl(in, fused),
                                 reduce_constants},
                                named,
                                [chunking, rows, kv_heads](KernelParams& prm) {
                                  chunking(prm);
                                  return gpu::Grid{rows, kv_heads, 1};
                                },
                                reduce_windows);
  pass.owned = std::move(sinks);
  return pass;
}

uint32_t split_kv_chunk_len(uint32_t context_len, uint32_t kv_heads, uint32_t target_workgroups) {
  return split_kv_chunk_len(context_len, kv_heads, target_workgroups, kMaxChunk, 32);
}
uint32_t split_kv_chunk_len(uint32_t context_len, uint32_t kv_heads, uint32_t target_workgroups, uint32_t max_chunk,
                            uint32_t min_chunk) {
  const uint64_t per_wg = (uint64_t{context_len} * kv_heads + target_workgroups - 1) / target_workgroups;
  // Chunks are capped at kMaxChunk keys (many more tiles per workgroup serialise), but a
  // long context may use up to context_len / kCapChunksPerHead keys per chunk, so it keeps
  // about kCapChunksPerHead chunks per kv head instead of thousands (whose partials made
  // the reduce pass slow). With the kv-head-fastest workgroup order of split_kv_decode,
  // measured on the H100 (bench/results/2026-11-25-h100-splitkv): C = 32768 f32 110 vs
  // 115 us, f16 90 vs 95 us; C = 131072 f32 379 vs 407 us per call.
  const uint64_t cap = std::max<uint64_t>(max_chunk, (uint64_t{context_len} / kCapChunksPerHead + 31) / 32 * 32);
  return static_cast<uint32_t>(
      std::clamp<uint64_t>((per_wg + 31) / 32 * 32, min_chunk, std::max<uint64_t>(cap, min_chunk)));
}

// The chunk length is non-decreasing in the context length (every term of split_kv_chunk_len is), so
// over each run of lengths with one chunk length the count is largest at the run's end: one
// binary search per run instead of one evaluation per length (a windowed call's range is the whole
// context: 131072 lengths took ~1 ms per call, and forward() asks more than once).
uint64_t split_kv_most_chunks(uint32_t lo, uint32_t hi, uint32_t kv_heads, uint32_t target_workgroups,
                              uint32_t max_chunk, uint32_t min_chunk) {
  const auto chunk = [&](uint32_t len) {
    return split_kv_chunk_len(len, kv_heads, target_workgroups, max_chunk, min_chunk);
  };
  uint64_t most = 1;
  for (uint32_t len = std::max(lo, 1u); len <= hi;) {
    const uint32_t c = chunk(len);
    uint32_t a = len, b = hi;  // the run's last length: the largest in [len, hi] with chunk c
    while (a < b) {
      const uint32_t mid = a + (b - a + 1) / 2;
      if (chunk(mid) == c)
        a = mid;
      else
        b = mid - 1;
    }
    most = std::max<uint64_t>(most, n_chunks(a, c));
    if (a == hi) break;  // hi may be UINT32_MAX
    len = a + 1;
  }
  return most;
}

void check_split_kv_switches() {
  block_keys_env();
  key_groups_env();
  row_reduce_env();
  kernel_env();
  update_env();
  rescale_env();
  prefetch_env();
  passes_env();
  merge_threads_env();
  merge_rows_env();
  subgroups_env();
}

extern const AlgorithmEntry split_kv_entry{Algorithm::SplitKvDecode, "split-kv", auto_rank, supports, scratch,
                                           prepare, updates_cache};

}  // namespace webattn::attention
