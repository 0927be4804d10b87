// The one Context every GPU test in the binary shares (one Dawn device, one pipeline cache).
#pragma once
#include <cstdlib>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include <string>

#include "webattn/context.hpp"
#include "webattn/errors.hpp"

namespace webattn::testing {
inline Context& test_context() {
  static Context ctx;
  return ctx;
}

// A second Context whose storage bindings hold at most 4 KiB: small caches are then bound
// as several windows, so every kernel's window path runs on small problems.
inline Context& small_bindings_context() {
  static Context ctx([] {
    ContextOptions o;
    o.max_binding_bytes = 4096;
    return o;
  }());
  return ctx;
}

// Sets an environment variable for a scope (unset on exit, also when a check throws).
struct ScopedEnv {
  const char* name;
  ScopedEnv(const char* n, const char* value) : name(n) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
};

// n standard-normal floats (tests never use all-zero inputs).
inline std::vector<float> randn(std::mt19937& rng, size_t n) {
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// The adapter's one subgroup width (at least 4), or 0 where the device has no subgroups or
// reports several widths: what the kernels' subgroup forms need.
inline uint32_t fixed_subgroup_width(Context& ctx) {
  const AdapterSummary& a = ctx.adapter();
  if (!ctx.has_subgroups() || a.subgroup_min_size != a.subgroup_max_size || a.subgroup_min_size < 4) return 0;
  return a.subgroup_min_size;
}

// The message of the E that f throws (a test failure if it throws none).
template <class E = Error, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}
}  // namespace webattn::testing
