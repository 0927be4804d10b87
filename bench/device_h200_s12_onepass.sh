#!/usr/bin/env bash
# H200, 2026-11-30 (session 12), call 1: split-kv decode in one dispatch (the subgroup form's ONE_PASS: the last
# workgroup of each kv head merges the partial states, the chunk holding input_pos writes the step's key into the
# cache first) against two (the merge dispatch split_kv_reduce), alternated, one fresh process per point, both
# cache dtypes; the 32-layer model step; llama3.2-1b; registers; correctness with both. Stage: webattn,
# webattn_tests, webattn_long_tests, libwebgpu_wrapper.so, vkstats/, ceilings.json, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
w() { "$bin/webattn" "$@"; }
dec() { timeout 60 "$bin/webattn" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
{
echo "check one: $(timeout 300 "$bin/webattn" check --algorithm split-kv --cases 24 --seed 1201 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
echo "check two: $(WEBATTN_SPLIT_KV_PASSES=two timeout 300 "$bin/webattn" check --algorithm split-kv --cases 12 --seed 1203 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
timeout 300 "$bin/webattn_tests" --gtest_filter='SplitKv*:HardInput*:ExtremeScore*:Plan*:Sinks*:Lse*:Mask*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED" | head -12
timeout 300 "$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
echo "fuzz: $(timeout 300 "$bin/webattn" check --fuzz 60 --seed 1205 --cases 0 --no-presets 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
for v in one two; do
  for dt in f16 f32; do
    echo "regs $v $dt: $(stats $v-$dt env WEBATTN_SPLIT_KV_PASSES=$v "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 4096 --dtype $dt --algorithm split-kv)"
  done
done
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
for C in 512 4096 16384 32768 131072; do
  for dt in f16 f32; do
    for v in two one two one; do echo "$dt $v $(WEBATTN_SPLIT_KV_PASSES=$v dec --preset llama3-8b --decode $C --dtype $dt)"; done
  done
done
for C in 4096 32768; do
  for v in two one two one; do echo "1b f16 $v $(WEBATTN_SPLIT_KV_PASSES=$v dec --preset llama3.2-1b --decode $C --dtype f16)"; done
done
for dt in f16 f32; do
  for v in two one two one; do
    echo "step $dt $v $(WEBATTN_SPLIT_KV_PASSES=$v timeout 120 "$bin/webattn" bench --preset llama3-8b --decode 512,4096,32768 --dtype $dt --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
  done
done
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
