// Caches larger than one storage binding: bound as several windows of whole rows.
// A Context limited to 4 KiB per binding exercises the windows with small caches (every
// algorithm, both dtypes, updates straddling a window edge); one test uses the device's
// real limit (128 MiB on lavapipe) with a cache over it.
#include <gtest/gtest.h>

#include <random>

#include "internal.hpp"
#include "attention/cache_windows.hpp"
#include "gpu/device.hpp"
#include "host_call.hpp"
#include "test_context.hpp"
#include "webattn/webattn.hpp"
#include "webattn/verify.hpp"

using namespace webattn;

namespace {

Context& small_bindings() { return webattn::testing::small_bindings_context(); }

struct WindowCase {
  verify::Case c;
  DType dtype;
};

// f32 rows of Hkv=1 x D=16 are 64 bytes: 64 rows per 4 KiB window, 150 rows = 3 windows.
// f16 rows are 32 bytes: 128 rows per window, 300 rows = 3 windows. Positions put updates
// across window edges and queries at the very end.
std::vector<WindowCase> cases() {
  std::vector<WindowCase> out;
  for (auto [S, pos] : {std::pair<uint32_t, uint32_t>{3, 62}, {1, 149}, {2, 127}})
    out.push_back({{S, 2, 1, 16, pos, 150, true, 0}, DType::F32});
  for (auto [S, pos] : {std::pair<uint32_t, uint32_t>{3, 126}, {1, 299}})
    out.push_back({{S, 1, 1, 16, pos, 300, true, 0}, DType::F16});
  return out;
}

}  // namespace

TEST(Windows, CachesSplitAcrossBindingsMatchTheReference) {
  Context& ctx = small_bindings();
  for (const auto& wc : cases()) {
    const auto w = attention::cache_windows(gpu_device(ctx), {wc.c.capacity, wc.c.Hkv, wc.c.D, wc.dtype});
    EXPECT_EQ(w.count, 3u) << wc.c.str();
    for (Algorithm algo : all_algorithms()) {
      if (!verify::supported(ctx, wc.c, algo, wc.dtype)) continue;
      auto r = verify::run_case(ctx, wc.c, algo, wc.dtype, 17);
      EXPECT_TRUE(r.passed()) << to_string(algo) << " " << to_string(wc.dtype) << " " << wc.c.str() << ": max_abs "
                              << r.cmp.max_abs << ", rel_l2 " << r.cmp.rel_l2 << ", cache exact " << r.cache_exact;
    }
  }
}

// What an algorithm's passes bind must fit the device: the storage buffers of one pass (the cache's
// windows, q, out, the mask, sinks and lse asked for) and each partial-state buffer as one binding.
// Where they do not, validate() and Auto know it up front (Auto routes around the algorithm, or
// says that none can run and why), and forward() refuses with an UnsupportedError, never a Dawn
// validation error at pipeline creation. lavapipe offers 10 storage buffers per stage:
// flash-prefill with a mask, lse and sinks over 3 windows binds 11; split-kv's partial states for
// S=6 (18 rows over 5 chunks) take 5760 bytes, over the 4 KiB bindings.
TEST(Windows, ValidateKnowsWhatEachAlgorithmBinds) {
  Context& ctx = small_bindings();
  const uint32_t per_stage = gpu_device(ctx).limits().max_storage_buffers_per_shader_stage;
  int refused = 0, ran = 0;
  // S=6: plain, mask + lse (10 buffers), mask + lse + sinks (11), lse + sinks; S=1 (split-kv's decode): all three
  for (const auto& [S, v] : {std::pair{6u, 0}, {6u, 1}, {6u, 2}, {6u, 3}, {1u, 2}}) {
    verify::Case c{S, 3, 1, 16, 149 - S, 150, true};  // f32 rows of 64 bytes: 3 windows
    if (v == 1 || v == 2) c.mask = MaskKind::Bool;
    if (v >= 1) c.lse = true;
    if (v >= 2) c.sinks = {0.5f, -1.f, 2.f};
    for (Algorithm algo : webattn::testing::algorithms_and_auto()) {
      const std::string what = std::string(to_string(algo)) + " " + c.str();
      const std::string why = verify::why_unsupported(ctx, c, algo);
      if (algo == Algorithm::Auto) {
        // Auto: runs if any algorithm can, else refuses listing every reason
        bool any = false;
        for (Algorithm a : all_algorithms()) any = any || verify::supported(ctx, c, a);
        if (!any) {
          try {
            verify::run_case(ctx, c, algo, DType::F32, 41);
            ADD_FAILURE() << what << ": ran with no algorithm able to";
          } catch (const UnsupportedError& e) {
            EXPECT_NE(std::string(e.what()).find("no algorithm can run this call"), std::string::npos) << e.what();
          }
          continue;
        }
      }
      if (why.empty()) {
        ++ran;
        try {
          const auto r = verify::run_case(ctx, c, algo, DType::F32, 41);
          EXPECT_TRUE(r.passed()) << what << ": max_abs " << r.cmp.max_abs << ", rel_l2 " << r.cmp.rel_l2;
        } catch (const std::exception& e) {
          ADD_FAILURE() << what << ": validate accepted it, forward threw " << e.what();
        }
      } else {
        ++refused;
        EXPECT_THROW(verify::run_case(ctx, c, algo, DType::F32, 41), UnsupportedError) << what << ": " << why;
      }
    }
  }
  EXPECT_GT(ran, 0);
  EXPECT_GT(refused, 0);
  verify::Case all{6, 3, 1, 16, 143, 150, true};
  all.mask = MaskKind::Bool;
  all.lse = true;
  all.sinks = {0.5f, -1.f, 2.f};
  if (per_stage < 11) {
    const std::string why = verify::why_unsupported(ctx, all, Algorithm::FlashPrefill);
    EXPECT_NE(why.find("needs 11 storage buffers"), std::string::npos) << why;
  }
  const std::string why = verify::why_unsupported(ctx, all, Algorithm::SplitKvDecode);
  EXPECT_NE(why.find("maxStorageBufferBindingSize 4096"), std::string::npos) << why;
  // the same with a mask and lse but no sinks binds 10: flash-prefill runs it (checked above)
  all.sinks.clear();
  if (per_stage >= 10) {
    EXPECT_TRUE(verify::supported(ctx, all, Algorithm::FlashPrefill));
  }
}

TEST(Windows, MoreWindowsThanBindingsIsRefusedWithTheSizes) {
  Context& ctx = small_bindings();
  const uint32_t most = attention::max_cache_windows(gpu_device(ctx));
  const uint32_t capacity = 64 * most + 1;  // one row more than the windows hold
  try {
    KVCache c(ctx, {capacity, 1, 16});
    FAIL() << "no error";
  } catch (const UnsupportedError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("capacity " + std::to_string(capacity)), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::to_string(most + 1) + " bindings of at most 4096 bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::to_string(64 * most) + " positions"), std::string::npos) << msg;
  }
  KVCache fits(ctx, {capacity - 1, 1, 16});  // exactly `most` windows
}

// The device's own limit: a cache over maxStorageBufferBindingSize (if the device can
// allocate it), filled in chunks, then a decode step reading all of it.
TEST(Windows, CacheOverTheDevicesBindingLimitDecodes) {
  Context& ctx = webattn::testing::test_context();
  const auto& lim = ctx.adapter().limits;
  const uint32_t Hkv = 1, D = 256, Hq = 2;
  const uint64_t row_bytes = Hkv * D * 4;
  const uint32_t cap = static_cast<uint32_t>(lim.max_storage_buffer_binding_size / row_bytes + 1000);
  if (uint64_t{cap} * row_bytes > lim.max_buffer_size || cap > (1u << 22))
    GTEST_SKIP() << "device binding limit " << lim.max_storage_buffer_binding_size << " too large to test here";
  KVCache cache(ctx, {cap, Hkv, D});
  std::mt19937 rng(9);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> hk(uint64_t{cap} * Hkv * D), hv(hk.size());
  for (auto& x : hk) x = nd(rng);
  for (auto& x : hv) x = nd(rng);
  // All but the last row in one update: k_new is larger than one binding too, so the
  // update goes in pieces.
  cache.update(Tensor::from(ctx, {cap - 1, Hkv, D}, std::vector<float>(hk.begin(), hk.end() - D)),
               Tensor::from(ctx, {cap - 1, Hkv, D}, std::vector<float>(hv.begin(), hv.end() - D)), 0);
  std::vector<float> q(Hq * D), kn(D), vn(D);
  for (auto& x : q) x = nd(rng);
  for (auto& x : kn) x = nd(rng);
  for (auto& x : vn) x = nd(rng);
  Sdpa sdpa(ctx);
  Tensor out = sdpa.forward(Tensor::from(ctx, {1, Hq, D}, q), Tensor::from(ctx, {1, Hkv, D}, kn),
                            Tensor::from(ctx, {1, Hkv, D}, vn), cache, cap - 1);
  reference::CallSpec p{1, Hq, Hkv, D, cap - 1, true, 0};
  reference::update_cache(hk, hv, kn, vn, p);
  auto cmp = reference::compare(out.download(), reference::attention(q, hk, hv, p));
  EXPECT_LE(cmp.max_abs, 2e-6);
  // Each output is an average of ~130K random values, so it is ~1/sqrt(C) small while its
  // terms sum to ~1 in magnitude: fp32 summation error relative to the output grows like
  // sqrt(C) (6.7e-6 measured on lavapipe). The absolute target above is the meaningful one.
  EXPECT_LE(cmp.rel_l2, 2e-5);
  EXPECT_EQ(cmp.nonfinite, 0u);
  auto keys = cache.download_keys();
  EXPECT_TRUE(std::equal(keys.end() - 2 * D, keys.end(), hk.end() - 2 * D)) << "rows around the last window's start";
}
