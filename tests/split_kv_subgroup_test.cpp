// split-kv's subgroup form (split_kv_decode_subgroup.wgsl: each subgroup walks its own key
// blocks, q.k summed by a transposing butterfly) against float64 on every shape class it takes:
// head dims giving 1, 2 and 4 vec4s per lane, 1 to W query rows per kv head (padding rows
// included), 1 to W keys per block (one to several sums per lane), contexts with no cached key,
// partial blocks and many blocks per subgroup, every
// variant it carries (window, soft-cap, ALiBi, masks, sinks, log-sum-exp, a scale above 1, f16
// cache and activations), the next block's loads issued early (PREFETCH) or not, a cache bound
// as several windows, one dispatch (ONE_PASS: the last workgroup of each kv head merges) or two;
// which form the planner runs; and the error when it is forced where it cannot run. lavapipe runs
// it 8 lanes wide, the H200 32.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "host_call.hpp"
#include "internal.hpp"
#include "test_context.hpp"
#include "webattn/verify.hpp"
#include "webattn/webattn.hpp"

using namespace webattn;
using webattn::testing::expect_case_passes;
using webattn::testing::ScopedEnv;

namespace {

// The subgroup width the form runs with on this context, or 0 where it cannot run at all.
uint32_t fixed_width(Context& ctx) { return webattn::testing::fixed_subgroup_width(ctx); }

TEST(SplitKvSubgroupForm, MatchesTheReferenceOnEveryShapeItTakes) {
  Context& ctx = webattn::testing::test_context();
  const uint32_t w = fixed_width(ctx);
  if (w == 0) GTEST_SKIP() << "the adapter reports no single subgroup width";
  ScopedEnv env("WEBATTN_SPLIT_KV_KERNEL", "subgroup");
  const uint32_t d1 = 4 * w, d2 = 8 * w, d4 = 16 * w;  // 1, 2 and 4 head-dim vec4s per lane
  std::vector<std::pair<verify::Case, DType>> cases;
  const auto add = [&](verify::Case c, DType dt = DType::F32) { cases.push_back({c, dt}); };
  add({1, 8, 2, d1, 300, 307});   // g = 4: blocks of W / 4 keys, many per subgroup
  add({1, 2, 2, d1, 37, 40});     // g = 1: one row
  add({1, 2, 2, d2, 37, 40});     // g = 1, 2 vec4s per lane: fewer sums than lanes (duplicated lanes)
  add({1, 6, 2, d2, 5, 9});       // g = 3: a padding row; fewer keys than one block
  add({1, 4, 1, d2, 0, 3});       // the first step: no cached key, no chunk (the merge alone)
  if (w <= 16) add({1, w, 1, d1, 129, 131});  // g = W: one key per block
  // 4 vec4s per lane (split-kv's own limit is the tile form's workgroup memory: lavapipe 216 at g = 2)
  if (d4 <= 128) add({1, 4, 2, d4, 70, 75});
  add({1, 8, 2, d1, 300, 307}, DType::F16);
  verify::Case win{1, 8, 2, d1, 300, 310};
  win.window_left = 17;
  add(win);
  verify::Case cap{1, 4, 2, d1, 90, 95};
  cap.softcap = 5;
  cap.alibi = true;
  add(cap);
  verify::Case bm{1, 4, 2, d1, 60, 64};
  bm.mask = MaskKind::Bool;  // hides keys, may empty the row
  bm.lse = true;
  bm.sinks = {0.5f, -2.0f, 3.0f, 0.0f};
  add(bm);
  verify::Case am{1, 8, 2, d1, 45, 50};
  am.mask = MaskKind::Additive;
  am.lse = true;
  add(am, DType::F16);
  verify::Case big{1, 4, 1, d1, 33, 40};
  big.scale = 3.0f;  // above 1: multiplies the finished q.k
  add(big);
  verify::Case act{1, 4, 2, d1, 20, 25};
  act.act = {DType::F16, DType::F16, DType::F16, DType::F16};
  add(act);
  uint32_t seed = 300;
  for (const auto& [c, dt] : cases) expect_case_passes(ctx, c, Algorithm::SplitKvDecode, dt, ++seed);
  // The cache update as its own pass (devices that cannot bind it in the merge): the chunks then
  // end at the context's end, the step's own key read from the cache.
  // With one dispatch (by the rule here) the kernel then binds the cache read-only and reads the key the
  // update pass wrote; with two forced, the split pass and the merge without FUSED.
  for (const char* passes : {"", "two"}) {
    ScopedEnv separate("WEBATTN_SPLIT_KV_UPDATE", "separate");
    ScopedEnv env_passes("WEBATTN_SPLIT_KV_PASSES", passes);
    SCOPED_TRACE(std::string("WEBATTN_SPLIT_KV_UPDATE=separate, WEBATTN_SPLIT_KV_PASSES=") + passes);
    expect_case_passes(ctx, cases[0].first, Algorithm::SplitKvDecode, DType::F32, ++seed);
    expect_case_passes(ctx, cases[3].first, Algorithm::SplitKvDecode, DType::F16, ++seed);  // input_pos 0
    expect_case_passes(ctx, bm, Algorithm::SplitKvDecode, DType::F32, ++seed);             // a mask
  }
  // One dispatch (the last workgroup of each kv head merges, the chunk holding input_pos writes the
  // step's key first) and two, forced: chunk counts from 1 to several merge steps of 8 (12000 keys),
  // the first step (the chunk holds only the new key), a padding row, a mask emptying rows with sinks
  // and the LSE, an additive mask, soft-cap with ALiBi, a window, f16 activations.
  for (const char* passes : {"one", "two"}) {
    ScopedEnv env_passes("WEBATTN_SPLIT_KV_PASSES", passes);
    SCOPED_TRACE(std::string("WEBATTN_SPLIT_KV_PASSES=") + passes);
    expect_case_passes(ctx, {1, 8, 2, d1, 12000, 12001}, Algorithm::SplitKvDecode, DType::F16, ++seed);
    for (size_t i = 0; i < cases.size(); ++i) expect_case_passes(ctx, cases[i].first, Algorithm::SplitKvDecode, cases[i].second, ++seed);
    expect_case_passes(ctx, {1, 4, 2, d1, 1200, 1201}, Algorithm::SplitKvDecode, DType::F32, ++seed);
    // ALiBi with negative slopes: the row's reference key is the first, so the merge moves the sink onto
    // the shifted scale and the LSE back from it (with positive slopes the shift is 0 for one token).
    verify::Case neg{1, 4, 2, d1, 200, 205};
    neg.alibi = true;
    neg.alibi_slopes = {-0.05f, 0.125f, -0.5f, -1.0f / 64};
    neg.sinks = {1.5f, -3.0f, 40.0f, 0.0f};  // 40: the sink dominates its row
    neg.lse = true;
    expect_case_passes(ctx, neg, Algorithm::SplitKvDecode, DType::F32, ++seed);
    expect_case_passes(ctx, neg, Algorithm::SplitKvDecode, DType::F16, ++seed);
  }
  // The block's key count at its ends (one key: every lane bit a plain sum for g = 1; W keys).
  for (const std::string& keys : {std::string("1"), std::to_string(w)}) {
    ScopedEnv block("WEBATTN_SPLIT_KV_BLOCK_KEYS", keys.c_str());
    SCOPED_TRACE("WEBATTN_SPLIT_KV_BLOCK_KEYS=" + keys);
    expect_case_passes(ctx, cases[0].first, Algorithm::SplitKvDecode, DType::F16, ++seed);
    expect_case_passes(ctx, cases[1].first, Algorithm::SplitKvDecode, DType::F32, ++seed);
  }
  // PREFETCH (the next block's K/V loads issued before this block's arithmetic; by default only
  // where chunks hold many blocks), forced both ways: several blocks per subgroup in both cache
  // dtypes (a context long enough for chunks past the 32-key minimum: 2+ blocks per subgroup at
  // W = 32, 8 at W = 8; and one key per block), fewer keys than one block, no cached key, a mask,
  // a window.
  const verify::Case many{1, 8, 2, d1, 12000, 12001};
  for (const char* pf : {"on", "off"}) {
    ScopedEnv prefetch("WEBATTN_SPLIT_KV_PREFETCH", pf);
    SCOPED_TRACE(std::string("WEBATTN_SPLIT_KV_PREFETCH=") + pf);
    expect_case_passes(ctx, many, Algorithm::SplitKvDecode, DType::F32, ++seed);
    expect_case_passes(ctx, many, Algorithm::SplitKvDecode, DType::F16, ++seed);
    expect_case_passes(ctx, cases[0].first, Algorithm::SplitKvDecode, DType::F32, ++seed);
    expect_case_passes(ctx, cases[0].first, Algorithm::SplitKvDecode, DType::F16, ++seed);
    expect_case_passes(ctx, cases[3].first, Algorithm::SplitKvDecode, DType::F16, ++seed);
    expect_case_passes(ctx, cases[4].first, Algorithm::SplitKvDecode, DType::F32, ++seed);
    expect_case_passes(ctx, bm, Algorithm::SplitKvDecode, DType::F16, ++seed);
    expect_case_passes(ctx, win, Algorithm::SplitKvDecode, DType::F32, ++seed);
    ScopedEnv block("WEBATTN_SPLIT_KV_BLOCK_KEYS", "1");
    expect_case_passes(ctx, cases[1].first, Algorithm::SplitKvDecode, DType::F16, ++seed);
    expect_case_passes(ctx, cases[0].first, Algorithm::SplitKvDecode, DType::F32, ++seed);
  }
  // Key groups (KG > 1: the subgroup's lanes split into groups of W / KG, each taking its own keys of
  // a block; its sums run over the group, the groups' accumulators added at the end): the shapes
  // above where they fit, and a head dim below 4 W (llama3.2-1b's D = 64 on 32-wide subgroups), with
  // and without PREFETCH.
  for (uint32_t kg = 2; w / kg >= 4; kg *= 2) {
    const std::string groups = std::to_string(kg);
    ScopedEnv env_kg("WEBATTN_SPLIT_KV_KEY_GROUPS", groups.c_str());
    SCOPED_TRACE("WEBATTN_SPLIT_KV_KEY_GROUPS=" + groups);
    const uint32_t lk = w / kg;
    verify::Case narrow{1, 8, 2, 4 * lk, 300, 307};  // one vec4 per lane
    for (const char* pf : {"off", "on"}) {
      ScopedEnv prefetch("WEBATTN_SPLIT_KV_PREFETCH", pf);
      SCOPED_TRACE(std::string("WEBATTN_SPLIT_KV_PREFETCH=") + pf);
      expect_case_passes(ctx, narrow, Algorithm::SplitKvDecode, DType::F32, ++seed);
      expect_case_passes(ctx, narrow, Algorithm::SplitKvDecode, DType::F16, ++seed);
      expect_case_passes(ctx, cases[0].first, Algorithm::SplitKvDecode, DType::F16, ++seed);
      ScopedEnv block("WEBATTN_SPLIT_KV_BLOCK_KEYS", "1");  // several blocks per subgroup at any width
      expect_case_passes(ctx, narrow, Algorithm::SplitKvDecode, DType::F16, ++seed);
    }
    for (size_t i = 1; i < cases.size(); ++i)  // those whose head dim the groups take (at most 8 vec4s per lane)
      if (cases[i].first.D / 4 <= 8 * lk)
        expect_case_passes(ctx, cases[i].first, Algorithm::SplitKvDecode, cases[i].second, ++seed);
  }
  if (fixed_width(webattn::testing::small_bindings_context()) != 0) {
    const uint32_t cap = std::min(46u, 3 * 4096 / (d1 * 4));  // at most 3 windows of 4 KiB per cache
    expect_case_passes(webattn::testing::small_bindings_context(), {1, 4, 1, d1, cap - 6, cap},
                       Algorithm::SplitKvDecode, DType::F32, ++seed);
  }
}

// More subgroups per workgroup (8 and 16, forced; longer chunks), in one dispatch and two: the one-pass
// merge then deals each (row, vec4) item's chunks out to several threads (parts) and merges the parts
// in workgroup memory, taking fewer chunks per step of loads (MB). Many chunks (12000 keys), the first
// step, one row (16 parts at W = 8), three rows (items not dividing the workgroup), a mask emptying rows
// with sinks and the LSE, ALiBi with negative slopes and a dominant sink, a window, f16 activations.
TEST(SplitKvSubgroupForm, MoreSubgroupsPerWorkgroup) {
  Context& ctx = webattn::testing::test_context();
  const uint32_t w = fixed_width(ctx);
  if (w == 0) GTEST_SKIP() << "the adapter reports no single subgroup width";
  const uint32_t d1 = 4 * w, d2 = 8 * w;
  const uint32_t limit = std::min(ctx.adapter().limits.max_compute_invocations_per_workgroup,
                                  ctx.adapter().limits.max_compute_workgroup_size_x);
  verify::Case bm{1, 4, 2, d1, 60, 64};
  bm.mask = MaskKind::Bool;
  bm.lse = true;
  bm.sinks = {0.5f, -2.0f, 3.0f, 0.0f};
  verify::Case neg{1, 4, 2, d1, 200, 205};
  neg.alibi = true;
  neg.alibi_slopes = {-0.05f, 0.125f, -0.5f, -1.0f / 64};
  neg.sinks = {1.5f, -3.0f, 40.0f, 0.0f};
  neg.lse = true;
  verify::Case win{1, 8, 2, d1, 300, 310};
  win.window_left = 17;
  verify::Case act{1, 4, 2, d1, 20, 25};
  act.act = {DType::F16, DType::F16, DType::F16, DType::F16};
  uint32_t seed = 1310;
  for (const uint32_t nsg : {8u, 16u}) {
    if (nsg * w > limit) continue;
    const std::string n = std::to_string(nsg);
    ScopedEnv env_n("WEBATTN_SPLIT_KV_SUBGROUPS", n.c_str());
    for (const char* passes : {"one", "two"}) {
      ScopedEnv env_passes("WEBATTN_SPLIT_KV_PASSES", passes);
      SCOPED_TRACE("WEBATTN_SPLIT_KV_SUBGROUPS=" + n + " WEBATTN_SPLIT_KV_PASSES=" + passes);
      expect_case_passes(ctx, {1, 8, 2, d1, 12000, 12001}, Algorithm::SplitKvDecode, DType::F16, ++seed);
      expect_case_passes(ctx, {1, 4, 2, d1, 1200, 1201}, Algorithm::SplitKvDecode, DType::F32, ++seed);
      expect_case_passes(ctx, {1, 4, 1, d2, 0, 3}, Algorithm::SplitKvDecode, DType::F32, ++seed);
      expect_case_passes(ctx, {1, 2, 2, d1, 370, 400}, Algorithm::SplitKvDecode, DType::F32, ++seed);
      expect_case_passes(ctx, {1, 6, 2, d2, 250, 260}, Algorithm::SplitKvDecode, DType::F16, ++seed);
      expect_case_passes(ctx, bm, Algorithm::SplitKvDecode, DType::F32, ++seed);
      expect_case_passes(ctx, neg, Algorithm::SplitKvDecode, DType::F32, ++seed);
      expect_case_passes(ctx, win, Algorithm::SplitKvDecode, DType::F16, ++seed);
      expect_case_passes(ctx, act, Algorithm::SplitKvDecode, DType::F32, ++seed);
    }
  }
  // One pass merges every row of the subgroups in one round where the workgroup memory holds them; in
  // rounds of 1 and 2 rows (g = 4 and 3: a round of a row and a padding row) as on smaller devices.
  if (8 * w <= limit) {
    ScopedEnv env_n("WEBATTN_SPLIT_KV_SUBGROUPS", "8");
    ScopedEnv env_passes("WEBATTN_SPLIT_KV_PASSES", "one");
    for (const char* rb : {"1", "2"}) {
      ScopedEnv env_rb("WEBATTN_SPLIT_KV_MERGE_ROWS", rb);
      SCOPED_TRACE(std::string("WEBATTN_SPLIT_KV_MERGE_ROWS=") + rb);
      expect_case_passes(ctx, {1, 8, 2, d1, 1200, 1201}, Algorithm::SplitKvDecode, DType::F32, ++seed);
      expect_case_passes(ctx, {1, 6, 2, d2, 250, 260}, Algorithm::SplitKvDecode, DType::F16, ++seed);
      expect_case_passes(ctx, bm, Algorithm::SplitKvDecode, DType::F32, ++seed);
    }
  }
}

// One dispatch leaves its scratch as it found it (every partial word and arrival counter back to 0):
// one Sdpa and one cache through decode steps whose chunk counts rise and fall (1 to several merge
// steps), each step's output and the whole cache against float64. A counter left at its count would
// let the wrong workgroup merge the next call before the others wrote (stale words read as written).
TEST(SplitKvSubgroupForm, OnePassStepsReuseTheirScratch) {
  Context& ctx = webattn::testing::test_context();
  const uint32_t w = fixed_width(ctx);
  if (w == 0) GTEST_SKIP() << "the adapter reports no single subgroup width";
  ScopedEnv env("WEBATTN_SPLIT_KV_PASSES", "one");
  const uint32_t hq = 8, hkv = 2, d = 4 * w, cap = 1400;
  std::mt19937 rng(91);
  std::vector<float> k = webattn::testing::randn(rng, size_t{cap} * hkv * d), v = webattn::testing::randn(rng, k.size());
  KVCache cache(ctx, {cap, hkv, d});
  cache.update(Tensor::from(ctx, {cap, hkv, d}, k), Tensor::from(ctx, {cap, hkv, d}, v), 0);
  Sdpa sdpa(ctx);
  SdpaOptions opt;
  opt.algorithm = Algorithm::SplitKvDecode;
  for (uint32_t pos : {20u, 300u, 21u, 1399u, 5u, 700u, 0u, 640u}) {
    SCOPED_TRACE("input_pos " + std::to_string(pos));
    const std::vector<float> q = webattn::testing::randn(rng, size_t{hq} * d);
    const std::vector<float> kn = webattn::testing::randn(rng, size_t{hkv} * d), vn = webattn::testing::randn(rng, kn.size());
    std::copy(kn.begin(), kn.end(), k.begin() + size_t{pos} * hkv * d);
    std::copy(vn.begin(), vn.end(), v.begin() + size_t{pos} * hkv * d);
    Tensor out(ctx, {1, hq, d});
    out.poison();
    sdpa.forward(Tensor::from(ctx, {1, hq, d}, q), Tensor::from(ctx, {1, hkv, d}, kn), Tensor::from(ctx, {1, hkv, d}, vn),
                 cache, pos, out, opt);
    reference::CallSpec p{1, hq, hkv, d, pos};
    EXPECT_TRUE(webattn::testing::matches_reference(out.download(), reference::attention(q, k, v, p)));
    EXPECT_TRUE(webattn::testing::same_values(cache.download_keys(), k));
    EXPECT_TRUE(webattn::testing::same_values(cache.download_values(), v));
    // The merging workgroups store zeros back into every word and counter they used: the next call's
    // merge tells a word not yet written by its 0.
    const gpu::Buffer& scratch = sdpa_scratch(sdpa, "split_kv one-pass counters + partial states");
    const std::vector<uint32_t> words = scratch.download<uint32_t>(scratch.size() / 4);
    EXPECT_EQ(std::count_if(words.begin(), words.end(), [](uint32_t x) { return x != 0; }), 0)
        << "words left non-zero in the one-pass scratch of " << words.size();
  }
}

// One dispatch's merge reads 8 chunks a step with a running max: where a mask hides the first steps'
// chunks from every row (m = -inf, no key seen), the running state and those chunks must weigh
// nothing rather than exp(-inf + inf) = NaN, and the rows still see the later keys. Bool and
// additive masks, the LSE too, against float64.
TEST(SplitKvSubgroupForm, OnePassMergeAfterChunksAMaskHid) {
  Context& ctx = webattn::testing::test_context();
  const uint32_t w = fixed_width(ctx);
  if (w == 0) GTEST_SKIP() << "the adapter reports no single subgroup width";
  ScopedEnv env("WEBATTN_SPLIT_KV_PASSES", "one");
  const uint32_t hq = 4, hkv = 2, d = 4 * w, pos = 899, ctxlen = pos + 1;  // 32-key chunks: 29 of them
  std::mt19937 rng(93);
  const std::vector<float> k = webattn::testing::randn(rng, size_t{ctxlen} * hkv * d), v = webattn::testing::randn(rng, k.size());
  const std::vector<float> q = webattn::testing::randn(rng, size_t{hq} * d);
  for (uint32_t hidden : {400u, 700u, ctxlen}) {  // ctxlen: no key left (output 0, LSE -inf)
    std::vector<uint8_t> visible(ctxlen, 1);
    std::fill(visible.begin(), visible.begin() + hidden, 0);  // the first 12 / 21 chunks: no visible key
    for (MaskKind kind : {MaskKind::Bool, MaskKind::Additive}) {
      SCOPED_TRACE(std::to_string(hidden) + " keys hidden, " + (kind == MaskKind::Bool ? "bool" : "additive"));
      KVCache cache(ctx, {ctxlen, hkv, d});
      cache.update(Tensor::from(ctx, {pos, hkv, d}, std::vector<float>(k.begin(), k.begin() + size_t{pos} * hkv * d)),
                   Tensor::from(ctx, {pos, hkv, d}, std::vector<float>(v.begin(), v.begin() + size_t{pos} * hkv * d)), 0);
      std::vector<float> additive(ctxlen);
      for (uint32_t c = 0; c < ctxlen; ++c) additive[c] = visible[c] ? 0.25f * static_cast<float>(c % 3) : -webattn::testing::kInf;
      Tensor mask = kind == MaskKind::Bool ? Tensor::from(ctx, {1, (ctxlen + 31) / 32}, pack_bool_mask(visible, 1, ctxlen))
                                           : Tensor::from(ctx, {1, ctxlen}, additive);
      Tensor out(ctx, {1, hq, d}), lse(ctx, {1, hq});
      out.poison();
      SdpaOptions opt;
      opt.algorithm = Algorithm::SplitKvDecode;
      opt.mask = &mask;
      opt.mask_kind = kind;
      opt.lse = &lse;
      const size_t last = size_t{pos} * hkv * d;
      Sdpa(ctx).forward(Tensor::from(ctx, {1, hq, d}, q),
                        Tensor::from(ctx, {1, hkv, d}, std::vector<float>(k.begin() + last, k.end())),
                        Tensor::from(ctx, {1, hkv, d}, std::vector<float>(v.begin() + last, v.end())), cache, pos, out, opt);
      reference::CallSpec p{1, hq, hkv, d, pos};
      p.mask_stride = ctxlen;
      if (kind == MaskKind::Bool) p.mask_bool = visible; else p.mask = additive;
      std::vector<double> ref_lse;
      EXPECT_TRUE(webattn::testing::matches_reference(out.download(), reference::attention(q, k, v, p, &ref_lse)));
      const std::vector<float> got_lse = lse.download();
      for (uint32_t h = 0; h < hq; ++h) {
        if (std::isinf(ref_lse[h])) {
          EXPECT_EQ(got_lse[h], static_cast<float>(ref_lse[h])) << h;
        } else {
          EXPECT_NEAR(got_lse[h], ref_lse[h], 1e-5 * std::max(1.0, std::abs(ref_lse[h]))) << h;
        }
      }
    }
  }
}

// The running max moves only when a score passes it by more than the margin (lazy rescaling):
// scores that climb per key (many blocks within the margin, then past it), jump, or fall from
// the first key, spanning ~200 (an exp without the max subtracted would overflow), with every
// row alike. q, k and the scale are multiples of powers of two so that every score is exact in
// fp32 (only exp and the sums round). Against float64, with the lazy rule and with a rescale
// every block.
TEST(SplitKvSubgroupForm, LazyRescaleFollowsClimbingJumpingAndFallingScores) {
  Context& ctx = webattn::testing::test_context();
  const uint32_t w = fixed_width(ctx);
  if (w == 0) GTEST_SKIP() << "the adapter reports no single subgroup width";
  ScopedEnv env("WEBATTN_SPLIT_KV_KERNEL", "subgroup");
  const uint32_t d = 4 * w, keys = 301;
  std::mt19937 rng(77);
  std::uniform_int_distribution<int> jitter(-8, 8);
  for (const char* shape : {"climb", "jump", "fall"}) {
    webattn::testing::HostCall c = webattn::testing::random_call({1, 8, 2, d, keys - 1, true, 0.125}, keys, DType::F32, 5);
    for (size_t i = 0; i < c.q.size(); ++i) c.q[i] = (i / d) % 2 ? 1.0f : 0.5f;  // head h: 1 or 0.5
    for (uint32_t pos = 0; pos < keys; ++pos) {
      // score of a q = 1 head ~ 0.125 * d * level: climb ~0.75 per key
      double level = 0.75 * pos;
      if (std::string(shape) == "jump") level = 0.1 * pos + (pos >= 170 ? 150.0 : 0.0);
      if (std::string(shape) == "fall") level = 225.0 - 0.75 * pos;
      level = std::round(level / (0.125 * d) * 64) / 64;
      for (uint32_t h = 0; h < 2; ++h)
        for (uint32_t i = 0; i < d; ++i) c.key(pos, h, i) = static_cast<float>(level + jitter(rng) / 64.0);
    }
    // PREFETCH with one key per block: several blocks per subgroup at any width.
    for (const auto& [rule, pf, keys] : {std::tuple<const char*, const char*, const char*>{"lazy", "off", ""},
                                         {"lazy", "on", "1"},
                                         {"always", "off", ""}}) {
      ScopedEnv rescale("WEBATTN_SPLIT_KV_RESCALE", rule);
      ScopedEnv prefetch("WEBATTN_SPLIT_KV_PREFETCH", pf);
      ScopedEnv block("WEBATTN_SPLIT_KV_BLOCK_KEYS", keys);
      SCOPED_TRACE(std::string(shape) + ", WEBATTN_SPLIT_KV_RESCALE=" + rule + ", WEBATTN_SPLIT_KV_PREFETCH=" + pf +
                   ", WEBATTN_SPLIT_KV_BLOCK_KEYS=" + keys);
      const webattn::testing::CallResult r = webattn::testing::run_forward(ctx, c, Algorithm::SplitKvDecode);
      EXPECT_TRUE(webattn::testing::matches_reference(r.out, r.ref));
    }
  }
}

// The planner runs the subgroup form for one token wherever it can, the tile form otherwise
// (more tokens, a head dim it does not split, a device without one subgroup width); key groups
// where head_dim / 4 is below the width, and
// $WEBATTN_SPLIT_KV_KERNEL=tiles forces the tile form. Seen through the profiled pass labels.
TEST(SplitKvSubgroupForm, TheFormThatRuns) {
  Context& ctx = webattn::testing::test_context();
  const uint32_t w = fixed_width(ctx);
  const auto first_pass = [&](uint32_t S, uint32_t D) {
    std::mt19937 rng(S + D);
    const uint32_t hq = 4, hkv = 1, pos = 40;
    KVCache cache(ctx, {pos + S, hkv, D});
    const auto fill = [&](uint32_t n, uint32_t h) {
      return Tensor::from(ctx, {n, h, D}, webattn::testing::randn(rng, size_t{n} * h * D));
    };
    cache.update(fill(pos, hkv), fill(pos, hkv), 0);
    Tensor out(ctx, {S, hq, D});
    SdpaOptions opt;
    opt.algorithm = Algorithm::SplitKvDecode;
    opt.profile = true;
    const ForwardInfo info = Sdpa(ctx).forward(fill(S, hq), fill(S, hkv), fill(S, hkv), cache, pos, out, opt);
    return info.stages.empty() ? std::string("(no timestamps)") : info.stages.front().stage;
  };
  if (!ctx.adapter().timestamp_query) GTEST_SKIP() << "no timestamps: the pass labels are not reported";
  unsetenv("WEBATTN_SPLIT_KV_KERNEL");
  const uint32_t d = w ? 4 * w : 16;
  EXPECT_EQ(first_pass(1, d), w ? "split_kv_decode_subgroup" : "split_kv_decode");
  EXPECT_EQ(first_pass(2, d), "split_kv_decode");
  if (w >= 8) {
    EXPECT_EQ(first_pass(1, 4 * w + 4), "split_kv_decode");  // head_dim / 4 not a multiple of W
  }
  // head_dim / 4 below W: key groups (2 groups of W / 2 lanes); llama3.2-1b's D = 64 on 32-wide subgroups
  if (w >= 8) {
    EXPECT_EQ(first_pass(1, 2 * w), "split_kv_decode_subgroup");
  }
  if (w >= 8) {
    EXPECT_EQ(first_pass(1, 24), "split_kv_decode");  // head_dim / 4 = 6: groups of 2 lanes, too few
  }
  ScopedEnv env("WEBATTN_SPLIT_KV_KERNEL", "tiles");
  EXPECT_EQ(first_pass(1, d), "split_kv_decode");
}

// One dispatch per call where the subgroup form runs with at most 16 chunks per kv head (the merge
// in one workgroup per kv head grows with the chunk count: bench/RESULTS.md, session 12), two beyond
// (split_kv_reduce), and where forced; seen through the profiled passes.
TEST(SplitKvSubgroupForm, OnePassWhereChunksAreFew) {
  Context& ctx = webattn::testing::test_context();
  const uint32_t w = fixed_width(ctx);
  if (w == 0) GTEST_SKIP() << "the adapter reports no single subgroup width";
  if (!ctx.adapter().timestamp_query) GTEST_SKIP() << "no timestamps: the passes are not reported";
  const auto passes = [&](uint32_t pos) {
    std::mt19937 rng(pos);
    const uint32_t hq = 4, hkv = 2, d = 4 * w;
    KVCache cache(ctx, {pos + 1, hkv, d});
    const auto fill = [&](uint32_t n, uint32_t h) {
      return Tensor::from(ctx, {n, h, d}, webattn::testing::randn(rng, size_t{n} * h * d));
    };
    Tensor out(ctx, {1, hq, d});
    SdpaOptions opt;
    opt.algorithm = Algorithm::SplitKvDecode;
    opt.profile = true;
    std::string list;
    for (const auto& st : Sdpa(ctx).forward(fill(1, hq), fill(1, hkv), fill(1, hkv), cache, pos, out, opt).stages)
      list += (list.empty() ? "" : " ") + st.stage;
    return list;
  };
  // 2 kv heads: 4 subgroups per workgroup take 32-key chunks (100 keys: 4 chunks); 8 take 64-key
  // chunks (512 keys: 8, 601: 10); 16 take 128-key chunks (2048 keys: 16; 2101: 17, too many for any).
  // (Where the device takes workgroups that large: the rule falls back to 4, and to two dispatches.)
  const auto& lim = ctx.adapter().limits;
  const uint32_t invocations = std::min(lim.max_compute_invocations_per_workgroup, lim.max_compute_workgroup_size_x);
  const bool roomy = w <= 32 && lim.max_compute_workgroup_storage_size >= 16384;  // D = 4 W, g = 2: < 10 KiB
  const std::string one = "split_kv_decode_subgroup", two = "split_kv_decode_subgroup split_kv_reduce";
  EXPECT_EQ(passes(99), one);
  EXPECT_EQ(passes(511), one);
  EXPECT_EQ(passes(600), roomy && 8 * w <= invocations ? one : two);
  EXPECT_EQ(passes(2047), roomy && 16 * w <= invocations ? one : two);
  EXPECT_EQ(passes(2100), two);
  {
    ScopedEnv env("WEBATTN_SPLIT_KV_PASSES", "one");
    EXPECT_EQ(passes(2100), "split_kv_decode_subgroup");
  }
  ScopedEnv env("WEBATTN_SPLIT_KV_PASSES", "two");
  EXPECT_EQ(passes(511), "split_kv_decode_subgroup split_kv_reduce");
}

// Where the one-pass kernel's bindings with the cache update exceed the device's storage-buffer limit
// (WebGPU's default 8 with a mask, sinks and the LSE: 10) and those without it fit (8), the Sdpa's update
// pass runs and then one dispatch with the caches bound read-only: two passes, not the update and two.
TEST(SplitKvSubgroupForm, OnePassAfterTheUpdatePassWhereStorageBuffersAreFew) {
  static Context ctx8([] {
    ContextOptions o;
    o.max_storage_buffers = 8;
    return o;
  }());
  ASSERT_EQ(ctx8.adapter().limits.max_storage_buffers_per_shader_stage, 8u);
  const uint32_t w = fixed_width(ctx8);
  const uint32_t hq = 4, hkv = 2, d = w ? 4 * w : 16, pos = 99;
  verify::Case c{1, hq, hkv, d, pos, pos + 1};
  c.mask = MaskKind::Bool;
  c.sinks = {0.5f, -2.0f, 3.0f, 0.0f};
  c.lse = true;
  expect_case_passes(ctx8, c, Algorithm::SplitKvDecode, DType::F32, 2001);
  expect_case_passes(ctx8, c, Algorithm::SplitKvDecode, DType::F16, 2002);
  verify::Case first{1, hq, hkv, d, 0, 30};  // the first step: the chunk holds only the new key
  first.mask = MaskKind::Additive;
  first.sinks = {1.0f, 0.0f, -3.0f, 0.25f};
  first.lse = true;
  expect_case_passes(ctx8, first, Algorithm::SplitKvDecode, DType::F16, 2003);
  if (w == 0) GTEST_SKIP() << "the adapter reports no single subgroup width: no one-pass form to count";
  // Passes per step of a decode plan: the update pass and one dispatch (the old rule: the update and two).
  const auto passes = [&](Context& ctx, bool extras) {
    KVCache cache(ctx, {pos + 1, hkv, d});
    Tensor q(ctx, {1, hq, d}), k(ctx, {1, hkv, d}), v(ctx, {1, hkv, d}), out(ctx, {1, hq, d}), lse(ctx, {1, hq});
    Tensor mask(ctx, {1, (pos + 32) / 32});
    SdpaOptions opt;
    opt.algorithm = Algorithm::SplitKvDecode;
    if (extras) {
      opt.mask = &mask;
      opt.mask_kind = MaskKind::Bool;
      opt.sinks = {0.5f, -1.0f, 2.0f, 0.0f};
      opt.lse = &lse;
    }
    return Sdpa(ctx).plan(q, k, v, cache, out, opt).passes_per_step();
  };
  EXPECT_EQ(passes(ctx8, false), 1u) << "7 bindings: the update in the kernel";
  EXPECT_EQ(passes(ctx8, true), 2u) << "10 bindings with the update, 8 without";
  Context& roomy = webattn::testing::test_context();
  if (roomy.adapter().limits.max_storage_buffers_per_shader_stage >= 10)
    EXPECT_EQ(passes(roomy, true), 1u) << "where 10 fit, the update in the kernel";
}

TEST(SplitKvSubgroupForm, ForcedWhereItCannotRunSaysWhy) {
  Context& ctx = webattn::testing::test_context();
  const uint32_t w = fixed_width(ctx);
  const uint32_t d = w ? 4 * w : 16;
  KVCache cache(ctx, {16, 1, d});
  const auto ones = [&](uint32_t n, uint32_t h) { return Tensor::from(ctx, {n, h, d}, std::vector<float>(n * h * d, 1.f)); };
  Tensor out(ctx, {2, 2, d});
  SdpaOptions opt;
  opt.algorithm = Algorithm::SplitKvDecode;
  {
    ScopedEnv env("WEBATTN_SPLIT_KV_KERNEL", "subgroup");
    const std::string msg = webattn::testing::error_of<UnsupportedError>(
        [&] { Sdpa(ctx).forward(ones(2, 2), ones(2, 1), ones(2, 1), cache, 3, out, opt); });
    EXPECT_NE(msg.find("split-kv's subgroup form cannot run: it serves one new token (S = 1), not 2"),
              std::string::npos)
        << msg;
  }
  // Values a switch does not take: ConfigError (a ShapeError), not a limit of the device.
  for (auto [name, value, says] :
       {std::tuple<const char*, const char*, const char*>{"WEBATTN_SPLIT_KV_KERNEL", "warp", "is not one of tiles, subgroup"},
        {"WEBATTN_SPLIT_KV_UPDATE", "merged", "is not one of separate, fused"},
        {"WEBATTN_SPLIT_KV_RESCALE", "sometimes", "is not one of always, lazy"},
        {"WEBATTN_SPLIT_KV_PREFETCH", "yes", "is not one of on, off"},
        {"WEBATTN_SPLIT_KV_PASSES", "three", "is not one of one, two"},
        {"WEBATTN_SPLIT_KV_SUBGROUPS", "2", "is not a power of two from 4 to 32"},
        {"WEBATTN_SPLIT_KV_KEY_GROUPS", "3", "is not a power of two from 1 to 32"},
        {"WEBATTN_SPLIT_KV_MERGE_ROWS", "3", "is not a power of two from 1 to 32"},
        {"WEBATTN_ROW_REDUCE", "row_reduce_warp", "is not one of row_reduce_subgroup32"}}) {
    ScopedEnv env(name, value);
    const std::string msg = webattn::testing::error_of<ConfigError>(
        [&] { Sdpa(ctx).forward(ones(2, 2), ones(2, 1), ones(2, 1), cache, 3, out, opt); });
    EXPECT_NE(msg.find(std::string(name) + "=" + value + " " + says), std::string::npos) << msg;
  }
  {  // one dispatch needs the subgroup form (S = 2 runs the tile form)
    ScopedEnv env("WEBATTN_SPLIT_KV_PASSES", "one");
    const std::string msg = webattn::testing::error_of<UnsupportedError>(
        [&] { Sdpa(ctx).forward(ones(2, 2), ones(2, 1), ones(2, 1), cache, 3, out, opt); });
    EXPECT_NE(msg.find("WEBATTN_SPLIT_KV_PASSES=one: split-kv's subgroup form does not run this call"),
              std::string::npos)
        << msg;
  }
  // A bad block size is refused whichever form runs (here S = 2: the tile form).
  {
    ScopedEnv env("WEBATTN_SPLIT_KV_BLOCK_KEYS", "3");
    const std::string msg = webattn::testing::error_of<ConfigError>(
        [&] { Sdpa(ctx).forward(ones(2, 2), ones(2, 1), ones(2, 1), cache, 3, out, opt); });
    EXPECT_NE(msg.find("WEBATTN_SPLIT_KV_BLOCK_KEYS=3 is not a power of two from 1 to 128"), std::string::npos) << msg;
  }
  if (w != 0 && w < 128) {  // one past the width, where the subgroup form runs
    const std::string over = std::to_string(2 * w);
    ScopedEnv env("WEBATTN_SPLIT_KV_BLOCK_KEYS", over.c_str());
    Tensor out1(ctx, {1, 2, d});
    const std::string msg = webattn::testing::error_of<ConfigError>(
        [&] { Sdpa(ctx).forward(ones(1, 2), ones(1, 1), ones(1, 1), cache, 3, out1, opt); });
    EXPECT_NE(msg.find("WEBATTN_SPLIT_KV_BLOCK_KEYS=" + over + " exceeds the " + std::to_string(w) + " lanes of a key"),
              std::string::npos)
        << msg;
  }
  if (w != 0 && w <= 32) {  // key groups of fewer than 4 lanes: the subgroup form cannot run, and says why
    const std::string groups = std::to_string(w);
    ScopedEnv env("WEBATTN_SPLIT_KV_KEY_GROUPS", groups.c_str());
    ScopedEnv forced("WEBATTN_SPLIT_KV_KERNEL", "subgroup");
    Tensor out1(ctx, {1, 2, d});
    const std::string msg = webattn::testing::error_of<UnsupportedError>(
        [&] { Sdpa(ctx).forward(ones(1, 2), ones(1, 1), ones(1, 1), cache, 3, out1, opt); });
    EXPECT_NE(msg.find(groups + " key groups leave fewer than 4 of the subgroup's " + groups + " lanes per key"),
              std::string::npos)
        << msg;
  }
}

}  // namespace
