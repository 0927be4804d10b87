#!/usr/bin/env bash
# H200, 2026-11-30 (session 12), call 2: split-kv decode in one dispatch with the merge reading 8 chunks per step
# (online log-sum-exp; call 1's merge read one chunk per step and was 1.5-3.2x slower) against two dispatches,
# alternated, one fresh process per point; the 32-layer step; llama3.2-1b; registers; correctness.
# Stage: as device_h200_s12_onepass.sh.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
dec() { timeout 60 "$bin/webattn" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
{
echo "check one: $(timeout 300 "$bin/webattn" check --algorithm split-kv --cases 24 --seed 1207 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
timeout 300 "$bin/webattn_tests" --gtest_filter='SplitKv*:HardInput*:ExtremeScore*:Plan*:Sinks*:Lse*:Mask*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED" | head -12
timeout 300 "$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
echo "fuzz: $(timeout 300 "$bin/webattn" check --fuzz 60 --seed 1209 --cases 0 --no-presets 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
for dt in f16 f32; do
  echo "regs one $dt: $(stats one-$dt env WEBATTN_SPLIT_KV_PASSES=one "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 4096 --dtype $dt --algorithm split-kv)"
done
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
for C in 512 2048 4096 8192 32768 131072; do
  for dt in f16 f32; do
    for v in two one two one; do echo "$dt $v $(WEBATTN_SPLIT_KV_PASSES=$v dec --preset llama3-8b --decode $C --dtype $dt)"; done
  done
done
for C in 512 4096; do
  for v in two one two one; do echo "1b f16 $v $(WEBATTN_SPLIT_KV_PASSES=$v dec --preset llama3.2-1b --decode $C --dtype f16)"; done
done
for v in two one two one; do
  echo "step f16 $v $(WEBATTN_SPLIT_KV_PASSES=$v timeout 120 "$bin/webattn" bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | tr '\n' '|')"
done
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
