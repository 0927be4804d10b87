// Each bad input gives its own clear error, naming the offending values.
#include <gtest/gtest.h>

#include "test_context.hpp"

#include "webattn/webattn.hpp"

using namespace webattn;

namespace {

Context& ctx() { return webattn::testing::test_context(); }

template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

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
