#!/usr/bin/env bash
# H200, 2026-12-01 (session 17), call 3: e6e1555's build (validate()'s grid checks, the tuning / ceilings file
# errors, the split-kv chunk count by runs): the suites those touch, every test of the split-kv / flash / plan /
# window suites, and check with a new seed, on the GPU. Stage: ../shared/device/stage.sh build/webattn
#   build/webattn_tests build/libwebgpu_wrapper.so bench/device_h200_s17_verify.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
export WEBATTN_TUNING_FILE=$out/tuning.json WEBATTN_CEILINGS_FILE=$out/ceilings.json
{
  timeout 300 "$bin/webattn_tests" --gtest_filter='Validate*:Tuning*:Ceilings*:Algorithms*:Windows*:SplitKv*:FlashPrefillSplit*:Reference*:Plan*:Errors*:EdgeShapes*' 2>&1 \
    | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -20
  timeout 200 "$bin/webattn" check --cases 16 --seed 1705 2>&1 | grep -E "check:|FAIL|worst" | head -6
  timeout 100 "$bin/webattn" check --fuzz 40 --seed 1707 --cases 0 --no-presets 2>&1 | grep -E "check:|FAIL|worst" | head -6
} > "$out/verify.txt" 2>&1
cat "$out/verify.txt"
