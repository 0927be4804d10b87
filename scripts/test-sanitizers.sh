#!/usr/bin/env bash
# Host code under AddressSanitizer + UndefinedBehaviorSanitizer: builds build-asan/ and
# runs every test except the long random GPU suites and the head-dim sweep (whose host code is the same as the
# tests kept here), and the installed-package test (an instrumented static library cannot
# link into the uninstrumented consumer it builds). Leak checking is off: lavapipe's JIT-compiled shaders allocate from
# code without symbols, which no suppression can name. Run after scripts/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DWEBATTN_SANITIZE=ON >/dev/null
cmake --build "$root/build-asan" -j "$(nproc)"
cd "$root/build-asan"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --output-on-failure -j "$(nproc)" -E "MatchesFloat64ReferenceOnRandomShapes|HeadDimsAreComputedOrCleanlyRefused|reference_vs_torch|installed_package_consumer"
