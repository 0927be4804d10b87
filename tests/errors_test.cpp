// Each bad input gives its own clear error, naming the offending values.
#include <gtest/gtest.h>

#include "test_context.hpp"

#include "webattn/webattn.hpp"

using namespace webattn;

namespace {

Context& ctx() { return webattn::testing::test_context(); }

using webattn::testing::error_of;

struct Fixture {
  KVCache cache{ctx(), {16, 2, 8}};
  Tensor q{ctx(), {3, 4, 8}, "q"};
  Tensor k{ctx(), {3, 2, 8}, "k_new"};
  Tensor v{ctx(), {3, 2, 8}, "v_new"};
  Tensor out{ctx(), {3, 4, 8}, "out"};
  Sdpa sdpa{ctx()};
};

}  // namespace

TEST(Errors, CacheOverflowNamesPositionLengthAndCapacity) {
  Fixture f;
  auto msg = error_of<ShapeError>([&] { f.sdpa.forward(f.q, f.k, f.v, f.cache, 14, f.out); });
  EXPECT_NE(msg.find("input_pos 14 + S 3 exceeds cache capacity 16"), std::string::npos) << msg;
}

TEST(Errors, QueryHeadsNotAMultipleOfKvHeads) {
  Fixture f;
  Tensor q3(ctx(), {3, 3, 8}, "q"), out3(ctx(), {3, 3, 8}, "out");
  auto msg = error_of<ShapeError>([&] { f.sdpa.forward(q3, f.k, f.v, f.cache, 0, out3); });
  EXPECT_NE(msg.find("q_heads 3 must be a positive multiple of kv_heads 2"), std::string::npos) << msg;
}

TEST(Errors, HeadDimNotAMultipleOfFour) {
  auto msg = error_of<ShapeError>([&] { KVCache c(ctx(), {16, 2, 6}); });
  EXPECT_NE(msg.find("head_dim must be a positive multiple of 4, got 6"), std::string::npos) << msg;
}

TEST(Errors, ZeroNewTokens) {
  Fixture f;
  Tensor q0(ctx(), {0, 4, 8}, "q");
  auto msg = error_of<ShapeError>([&] { f.sdpa.forward(q0, f.k, f.v, f.cache, 0, f.out); });
  EXPECT_NE(msg.find("S (q.shape[0]) must be at least 1, got 0"), std::string::npos) << msg;
}

TEST(Errors, MismatchedTensors) {
  Fixture f;
  Tensor k_bad(ctx(), {2, 2, 8}, "k_new");
  auto msg = error_of<ShapeError>([&] { f.sdpa.forward(f.q, k_bad, f.v, f.cache, 0, f.out); });
  EXPECT_NE(msg.find("k_new must be [S, Hkv, D] = [3, 2, 8], got [2, 2, 8]"), std::string::npos) << msg;
  Tensor out_bad(ctx(), {3, 4, 4}, "out");
  msg = error_of<ShapeError>([&] { f.sdpa.forward(f.q, f.k, f.v, f.cache, 0, out_bad); });
  EXPECT_NE(msg.find("out must be [S, Hq, D] = [3, 4, 8], got [3, 4, 4]"), std::string::npos) << msg;
  Tensor q_d(ctx(), {3, 4, 12}, "q");
  msg = error_of<ShapeError>([&] { f.sdpa.forward(q_d, f.k, f.v, f.cache, 0, f.out); });
  EXPECT_NE(msg.find("q head_dim 12 differs from the cache's 8"), std::string::npos) << msg;
}

TEST(Errors, UploadOfWrongSize) {
  Tensor t(ctx(), {2, 3}, "x");
  auto msg = error_of<ShapeError>([&] { t.upload(std::vector<float>(5)); });
  EXPECT_NE(msg.find("holds 6 values, got 5"), std::string::npos) << msg;
}

TEST(Errors, UnsupportedAlgorithmSaysWhy) {
  // split-kv serves at most 32 query rows per kv head: S=20 x g=2 = 40.
  KVCache cache(ctx(), {64, 2, 8});
  Tensor q(ctx(), {20, 4, 8}, "q"), k(ctx(), {20, 2, 8}, "k"), v(ctx(), {20, 2, 8}, "v"), out(ctx(), {20, 4, 8});
  Sdpa sdpa(ctx());
  SdpaOptions opt;
  opt.algorithm = Algorithm::SplitKvDecode;
  auto msg = error_of<UnsupportedError>([&] { sdpa.forward(q, k, v, cache, 0, out, opt); });
  EXPECT_NE(msg.find("40 query rows"), std::string::npos) << msg;
}

// Over one binding is fine (windows_test); over what one buffer may hold is not.
TEST(Errors, CacheOverMaxBufferSizeNamesTheSizes) {
  const uint64_t limit = ctx().adapter().limits.max_buffer_size;
  const uint32_t capacity = static_cast<uint32_t>(limit / (8 * 128 * 4) + 1);
  auto msg = error_of<UnsupportedError>([&] { KVCache c(ctx(), {capacity, 8, 128}); });
  EXPECT_NE(msg.find(std::to_string(limit)), std::string::npos) << msg;
  EXPECT_NE(msg.find("capacity " + std::to_string(capacity)), std::string::npos) << msg;
}

// Sizes past 64 bits: a product that wrapped used to pass every check as a small one (a cache of 4 x 2^31
// heads x 2^31 took 0 bytes and downloaded nothing; a tensor [4, 2^31, 2^31] got a 4-byte buffer and
// failed later in Dawn's validation, naming neither). A helper's adversarial run, session 21.
TEST(Errors, SizesPast64BitsAreRefusedNamingThem) {
  const uint32_t big = 1u << 31;
  for (const KVCacheConfig& c : {KVCacheConfig{4, big, big}, KVCacheConfig{1u << 30, 1u << 16, 1u << 16},
                                 KVCacheConfig{big, 1u << 15, 1u << 16, DType::F16}}) {
    const unsigned __int128 exact = static_cast<unsigned __int128>(c.capacity) * c.kv_heads * c.head_dim *
                                    (c.dtype == DType::F16 ? 2 : 4);
    std::string digits;
    for (unsigned __int128 v = exact; v != 0; v /= 10) digits.insert(digits.begin(), char('0' + int(v % 10)));
    auto msg = error_of<UnsupportedError>([&] { KVCache cache(ctx(), c); });
    EXPECT_NE(msg.find("needs " + digits + " bytes"), std::string::npos) << msg;
    msg = error_of<UnsupportedError>([&] { Sdpa(ctx()).validate(1, c.kv_heads, 0, c); });
    EXPECT_NE(msg.find("needs " + digits + " bytes"), std::string::npos) << msg;
  }
  for (const std::vector<uint32_t>& shape : {std::vector<uint32_t>{4, big, big}, {1, big, big}, {big, big, big, big}}) {
    const auto msg = error_of<ShapeError>([&] { Tensor t(ctx(), shape, "huge"); });
    EXPECT_NE(msg.find("'huge'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(shape_string(shape)), std::string::npos) << msg;
  }
  // Within 64 bits but over the device: the buffer's own check, naming the bytes.
  const uint64_t limit = ctx().adapter().limits.max_buffer_size;
  const uint32_t rows = static_cast<uint32_t>((limit / 4 + 1 + 65535) / 65536);
  const auto msg = error_of<UnsupportedError>([&] { Tensor t(ctx(), {rows, 65536}, "big"); });
  EXPECT_NE(msg.find(std::to_string(uint64_t{rows} * 65536 * 4)), std::string::npos) << msg;
}

TEST(Errors, UnknownAlgorithmNameListsTheChoices) {
  auto msg = error_of<ShapeError>([] { algorithm_from_string("fastest"); });
  EXPECT_NE(msg.find("split-kv"), std::string::npos) << msg;
}

TEST(Errors, StandaloneCacheUpdateValidatesToo) {
  KVCache cache(ctx(), {4, 2, 8});
  Tensor k(ctx(), {3, 2, 8}, "k_new"), v(ctx(), {3, 2, 8}, "v_new");
  auto msg = error_of<ShapeError>([&] { cache.update(k, v, 2); });
  EXPECT_NE(msg.find("input_pos 2 + S 3 exceeds cache capacity 4"), std::string::npos) << msg;
}

// Options are validated like shapes: a value outside the allowed set is named with the set.
TEST(Errors, AlgorithmOutsideTheEnum) {
  Fixture f;
  SdpaOptions opt;
  opt.algorithm = static_cast<Algorithm>(99);
  auto msg = error_of<ShapeError>([&] { f.sdpa.forward(f.q, f.k, f.v, f.cache, 0, f.out, opt); });
  EXPECT_NE(msg.find("algorithm 99"), std::string::npos) << msg;
  EXPECT_NE(msg.find("auto, three-pass-strided, three-pass-coalesced, flash-prefill, split-kv"), std::string::npos)
      << msg;
  msg = error_of<ShapeError>([&] { f.sdpa.plan(f.q, f.k, f.v, f.cache, f.out, opt); });
  EXPECT_NE(msg.find("algorithm 99"), std::string::npos) << msg;
}

TEST(Errors, TunablesOutsideTheirSets) {
  Fixture f;
  const auto refused = [&](SdpaOptions opt, const std::string& want) {
    auto msg = error_of<ShapeError>([&] { f.sdpa.forward(f.q, f.k, f.v, f.cache, 0, f.out, opt); });
    EXPECT_NE(msg.find(want), std::string::npos) << msg;
    msg = error_of<ShapeError>([&] { f.sdpa.validate(3, 4, 0, f.cache.config(), opt); });
    EXPECT_NE(msg.find(want), std::string::npos) << msg;
  };
  SdpaOptions keys;
  keys.flash_keys_per_tile = 17;
  refused(keys, "flash_keys_per_tile 17 is not allowed; allowed: 0 (the Sdpa's tuning), 16, 32, 48, 64");
  SdpaOptions threads;
  threads.flash_threads_x = 7;
  refused(threads, "flash_threads_x 7 is not allowed; allowed: 0 (the Sdpa's tuning), 8, 16");
  SdpaOptions wg;
  wg.flash_workgroup_threads = 64;
  refused(wg, "flash_workgroup_threads 64 is not allowed; allowed: 0 (the Sdpa's tuning), 128, 256");
  SdpaOptions huge;
  huge.split_kv_workgroups = 1u << 30;
  refused(huge, "split_kv_workgroups 1073741824 is not allowed; allowed: 0 (the Sdpa's tuning) or 1 to 65536");
  SdpaOptions repeat;
  repeat.repeat = 0;
  refused(repeat, "repeat must be at least 1, got 0");
}

TEST(Errors, TuningOutsideItsSets) {
  Sdpa sdpa(ctx());
  Tuning many;
  many.split_kv_workgroups = 65537;
  auto msg = error_of<ShapeError>([&] { sdpa.set_tuning(many); });
  EXPECT_NE(msg.find("tuning split_kv_workgroups 65537 is not allowed; allowed: 0 (by the form of split-kv's first "
                     "pass) or 1 to 65536"),
            std::string::npos)
      << msg;
  Tuning keys;
  keys.flash_keys_per_tile = 24;
  msg = error_of<ShapeError>([&] { sdpa.set_tuning(keys); });
  EXPECT_NE(msg.find("tuning flash_keys_per_tile 24 is not allowed"), std::string::npos) << msg;
  Tuning threads;
  threads.flash_threads_x = 4;
  msg = error_of<ShapeError>([&] { sdpa.set_tuning(threads); });
  EXPECT_NE(msg.find("tuning flash_threads_x 4 is not allowed; allowed: 0 (by shape), 8, 16"), std::string::npos) << msg;
  EXPECT_EQ(sdpa.tuning().flash_threads_x, Tuning{}.flash_threads_x);  // a refused tuning is not applied
  Tuning wg;
  wg.flash_workgroup_threads = 512;
  msg = error_of<ShapeError>([&] { sdpa.set_tuning(wg); });
  EXPECT_NE(msg.find("tuning flash_workgroup_threads 512 is not allowed; allowed: 0 (by shape), 128, 256"),
            std::string::npos)
      << msg;
}

// validate() throws what forward() and plan() would, with no tensors and no GPU work.
TEST(Errors, ValidateMatchesForwardWithoutTensors) {
  Fixture f;
  Sdpa sdpa(ctx());
  const auto before = ctx().object_counts();
  EXPECT_EQ(sdpa.validate(3, 4, 0, f.cache.config()), sdpa.choose(3, 0, f.cache.config(), 4));
  auto msg = error_of<ShapeError>([&] { sdpa.validate(3, 4, 14, f.cache.config()); });
  EXPECT_NE(msg.find("input_pos 14 + S 3 exceeds cache capacity 16"), std::string::npos) << msg;
  msg = error_of<ShapeError>([&] { sdpa.validate(3, 3, 0, f.cache.config()); });
  EXPECT_NE(msg.find("q_heads 3 must be a positive multiple of kv_heads 2"), std::string::npos) << msg;
  msg = error_of<ShapeError>([&] { sdpa.validate(0, 4, 0, f.cache.config()); });
  EXPECT_NE(msg.find("S (q.shape[0]) must be at least 1, got 0"), std::string::npos) << msg;
  msg = error_of<ShapeError>([&] { sdpa.validate(1, 4, 0, {16, 2, 6}); });
  EXPECT_NE(msg.find("head_dim must be a positive multiple of 4, got 6"), std::string::npos) << msg;
  SdpaOptions split;
  split.algorithm = Algorithm::SplitKvDecode;
  msg = error_of<UnsupportedError>([&] { sdpa.validate(20, 4, 0, {64, 2, 8}, split); });
  EXPECT_NE(msg.find("40 query rows"), std::string::npos) << msg;
  SdpaOptions planned;
  planned.max_context = 8;
  msg = error_of<ShapeError>([&] { sdpa.validate(3, 4, 6, f.cache.config(), planned); });
  EXPECT_NE(msg.find("input_pos 6 + S 3 exceeds the plan's max_context 8"), std::string::npos) << msg;
  planned.max_context = 17;
  msg = error_of<ShapeError>([&] { sdpa.validate(3, 4, 0, f.cache.config(), planned); });
  EXPECT_NE(msg.find("max_context 17 exceeds cache capacity 16"), std::string::npos) << msg;
  const auto after = ctx().object_counts();
  EXPECT_EQ(after.buffers, before.buffers);
  EXPECT_EQ(after.pipelines, before.pipelines);
  EXPECT_EQ(after.command_encoders, before.command_encoders);
}

// An explicit algorithm a device cannot run is refused with the table's reason, and
// Auto refuses only when no algorithm can run the call, listing every reason.
TEST(Errors, NoAlgorithmCanRunListsEveryReason) {
  Sdpa sdpa(ctx());
  const auto& lim = ctx().adapter().limits;
  // A score matrix (Hq x S x C x 4 bytes) over one binding and a head dim no fused tile holds.
  const uint32_t D = 4096, S = 64, C = 1024;
  const auto Hq = static_cast<uint32_t>(lim.max_storage_buffer_binding_size / (4ull * S * C) + 1);
  auto msg = error_of<UnsupportedError>([&] { sdpa.validate(S, Hq, C - S, {C, 1, D}); });
  EXPECT_NE(msg.find("no algorithm can run this call"), std::string::npos) << msg;
  EXPECT_NE(msg.find("score matrix"), std::string::npos) << msg;
  EXPECT_NE(msg.find("flash-prefill: head_dim 4096"), std::string::npos) << msg;
  EXPECT_NE(msg.find("split-kv: " + std::to_string(S * Hq) + " query rows"), std::string::npos) << msg;
}
