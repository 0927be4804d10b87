#!/usr/bin/env bash
# H200, 2026-11-30 (session 12), call 3: the landed rule (one dispatch where a call has at most 16 chunks per kv
# head, i.e. up to 512 keys with llama3-8b heads; two beyond), its new tests, and decode around the threshold with
# the default and each setting forced, one fresh process per point; the 32-layer step by default and forced two.
# Stage: as device_h200_s12_onepass.sh.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
dec() { timeout 60 "$bin/webattn" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
{
echo "check: $(timeout 300 "$bin/webattn" check --cases 30 --seed 1211 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
echo "check one: $(WEBATTN_SPLIT_KV_PASSES=one timeout 300 "$bin/webattn" check --algorithm split-kv --cases 24 --seed 1213 --no-presets 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst|rror' | head -6)"
timeout 400 "$bin/webattn_tests" --gtest_filter='SplitKv*:HardInput*:ExtremeScore*:Plan*:Sinks*:Lse*:Mask*:Masking*:Windows*:Alibi*:Softcap*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED|SKIPPED" | head -12
timeout 300 "$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
echo "fuzz: $(timeout 300 "$bin/webattn" check --fuzz 100 --seed 1215 --cases 0 --no-presets 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
for C in 256 512 1024; do
  for dt in f16 f32; do
    for v in "" two one "" two one; do echo "$dt ${v:-default} $(WEBATTN_SPLIT_KV_PASSES=$v dec --preset llama3-8b --decode $C --dtype $dt)"; done
  done
done
for v in "" two "" two; do
  echo "1b f16 ${v:-default} $(WEBATTN_SPLIT_KV_PASSES=$v dec --preset llama3.2-1b --decode 512 --dtype f16)"
done
for dt in f16 f32; do
  for v in "" two "" two; do
    echo "step $dt ${v:-default} $(WEBATTN_SPLIT_KV_PASSES=$v timeout 120 "$bin/webattn" bench --preset llama3-8b --decode 512,4096 --dtype $dt --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | tr '\n' '|')"
  done
done
for v in "" two; do
  echo "step 1b f16 ${v:-default} $(WEBATTN_SPLIT_KV_PASSES=$v timeout 120 "$bin/webattn" bench --preset llama3.2-1b --decode 512 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | tr '\n' '|')"
done
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"
