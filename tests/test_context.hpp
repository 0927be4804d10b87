// The one Context every GPU test in the binary shares (one Dawn device, one pipeline cache).
#pragma once
#include "webattn/context.hpp"

namespace webattn::testing {
inline Context& test_context() {
  static Context ctx;
  return ctx;
}
}  // namespace webattn::testing
