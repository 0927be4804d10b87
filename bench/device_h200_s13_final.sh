#!/usr/bin/env bash
# H200, 2026-12-01 (session 13), call 5: the landed rule (split-kv's subgroup form with 8 or 16 subgroups per
# workgroup where that gives 8 to 16 chunks per kv head, in one dispatch), its tests, and decode per context and the
# model step by default against the previous rule (WEBATTN_SPLIT_KV_SUBGROUPS=4 reproduces it: 4 subgroups, one
# dispatch up to 16 chunks), one fresh process per point, alternated.
# Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/webattn_long_tests
#   build/libwebgpu_wrapper.so /tmp/ceilings.json bench/device_lib.sh bench/device_h200_s13_final.sh
. "$(dirname "$0")/device_lib.sh"
dec() { timeout 60 "$bin/webattn" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}'; }
old() { ( export WEBATTN_SPLIT_KV_SUBGROUPS=4; "$@" ); }
t0=$(date +%s)
{
echo "check: $(timeout 200 "$bin/webattn" check --cases 30 --seed 1311 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
echo "check NSG 16: $(WEBATTN_SPLIT_KV_SUBGROUPS=16 timeout 120 "$bin/webattn" check --algorithm split-kv --cases 24 --seed 1313 --no-presets 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst|rror' | head -6)"
echo "fuzz: $(timeout 200 "$bin/webattn" check --fuzz 100 --seed 1315 --cases 0 --no-presets 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
timeout 300 "$bin/webattn_tests" --gtest_filter='SplitKv*:HardInput*:ExtremeScore*:Plan*:Sinks*:Lse*:Mask*:Masking*:Windows*:Alibi*:Softcap*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED|SKIPPED" | head -12
timeout 200 "$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
} > "$out/check.txt" 2>&1
cat "$out/check.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
for C in 256 512 1024 2048 4096 8192 16384 32768 131072; do
  for dt in f16 f32; do
    echo "$dt C=$C | old $(old dec --preset llama3-8b --decode $C --dtype $dt) | new $(dec --preset llama3-8b --decode $C --dtype $dt) | old $(old dec --preset llama3-8b --decode $C --dtype $dt) | new $(dec --preset llama3-8b --decode $C --dtype $dt)"
  done
done
for C in 512 4096; do
  echo "1b f16 C=$C | old $(old dec --preset llama3.2-1b --decode $C --dtype f16) | new $(dec --preset llama3.2-1b --decode $C --dtype f16) | old $(old dec --preset llama3.2-1b --decode $C --dtype f16) | new $(dec --preset llama3.2-1b --decode $C --dtype f16)"
done
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"; echo "t=$(( $(date +%s) - t0 ))"
st() { timeout 120 "$bin/webattn" bench "$@" --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | awk '{printf "%s:%s ", $2, $5}'; }
{
for r in 1 2; do
  echo "step f16 old $(old st --preset llama3-8b --decode 512,1024,2048,4096,8192,16384 --dtype f16)"
  echo "step f16 new $(st --preset llama3-8b --decode 512,1024,2048,4096,8192,16384 --dtype f16)"
done
echo "step f32 old $(old st --preset llama3-8b --decode 512,4096 --dtype f32) new $(st --preset llama3-8b --decode 512,4096 --dtype f32)"
echo "step 1b f16 old $(old st --preset llama3.2-1b --decode 512,4096 --dtype f16) new $(st --preset llama3.2-1b --decode 512,4096 --dtype f16)"
} > "$out/step.txt" 2>&1
cat "$out/step.txt"; echo "t=$(( $(date +%s) - t0 ))"
