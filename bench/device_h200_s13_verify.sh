#!/usr/bin/env bash
# H200, 2026-12-01 (session 13), call 8: the final build after the review's fixes (one pass checks the merge's
# workgroup memory; 8 / 16 subgroups fall back to 4 where one pass cannot run): split-kv checks and gtests, decode at
# three contexts and the 32-layer f16 step at 4096.
. "$(dirname "$0")/device_lib.sh"
{
echo "check: $(timeout 150 "$bin/webattn" check --algorithm split-kv --cases 24 --seed 1321 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
timeout 200 "$bin/webattn_tests" --gtest_filter='SplitKv*:Plan*:Windows*:Sinks*:Lse*:Mask*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED|SKIPPED" | head -12
for C in 512 4096 32768; do for dt in f16 f32; do
  timeout 60 "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode $C --dtype $dt --algorithm split-kv --repeats 20 2>&1 | grep -E '^decode|rror'
done; done
timeout 120 "$bin/webattn" bench --preset llama3-8b --decode 4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror'
} > "$out/verify.txt" 2>&1
cat "$out/verify.txt"
