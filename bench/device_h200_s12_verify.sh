#!/usr/bin/env bash
# H200, 2026-11-30 (session 12), call 4: the final build (commit 6704e8b: a storageBarrier before the one-pass merger
# zeroes its words; scratch only where one pass may run; new tests): correctness, and decode / the step at 512 with
# the default against two dispatches. Stage: webattn, webattn_tests, webattn_long_tests, libwebgpu_wrapper.so,
# ceilings.json, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
dec() { timeout 60 "$bin/webattn" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
{
echo "check: $(timeout 200 "$bin/webattn" check --algorithm split-kv --cases 24 --seed 1221 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
timeout 300 "$bin/webattn_tests" --gtest_filter='SplitKv*:HardInput*:ExtremeScore*:Plan*:Sinks*:Lse*:Mask*:Masking*:Alibi*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED|SKIPPED \]" | head -12
WEBATTN_SPLIT_KV_PASSES=one timeout 120 "$bin/webattn_long_tests" --gtest_filter='*split_kv*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -4
for dt in f16 f32; do
  for v in "" two "" two; do echo "$dt ${v:-default} $(WEBATTN_SPLIT_KV_PASSES=$v dec --preset llama3-8b --decode 512 --dtype $dt)"; done
done
for v in "" two; do
  echo "step f16 ${v:-default} $(WEBATTN_SPLIT_KV_PASSES=$v timeout 120 "$bin/webattn" bench --preset llama3-8b --decode 512 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | tr '\n' '|')"
done
} > "$out/verify.txt" 2>&1
cat "$out/verify.txt"
