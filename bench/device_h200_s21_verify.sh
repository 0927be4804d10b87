#!/usr/bin/env bash
# H200, 2026-12-02 (session 21), call 3: the session's new tests on the H200 (22d983c's binaries): the Q tile
# with 8 threads along keys, sizes past 64 bits refused; the flash / error / validate suites around them.
# Stage: ../shared/device/stage.sh build/webattn_tests build/libwebgpu_wrapper.so bench/device_h200_s21_verify.sh
# there: bash .device/run.sh bash .device/bin/device_h200_s21_verify.sh
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
timeout 400 "$bin/webattn_tests" --gtest_filter='Errors.*:Validate.*:Buffer.*:FlashPrefill*' 2>&1 \
  | grep -E "^\[ +(FAILED|PASSED|SKIPPED|OK) |tests ran|Failure" > "$out/verify.txt"
cat "$out/verify.txt"
