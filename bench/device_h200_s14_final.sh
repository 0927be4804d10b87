#!/usr/bin/env bash
# H200, 2026-12-01 (session 14), call 5: the landed build (one pass: the subgroups' merge at a chunk's end in one
# round; the merge's o words zeroed by their readers; the own key read back as before): its checks and tests, decode
# per context against the previous build (old/webattn, commit e1f3fe0) alternated, one fresh process per point, with
# the landed build's JSONs for the README chart (32768 and up run two dispatches, unchanged: session 13's JSONs),
# and the model step. Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/webattn_long_tests
#   build/libwebgpu_wrapper.so /tmp/ceilings.json bench/device_lib.sh bench/device_h200_s14_final.sh <old>
. "$(dirname "$0")/device_lib.sh"
new=$bin/webattn; old=$bin/old/webattn
t0=$(date +%s)
{
echo "check: $(timeout 200 "$new" check --cases 30 --seed 1411 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
echo "fuzz: $(timeout 150 "$new" check --fuzz 100 --seed 1413 --cases 0 --no-presets 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
timeout 240 "$bin/webattn_tests" --gtest_filter='SplitKv*:HardInput*:ExtremeScore*:Plan*:Sinks*:Lse*:Mask*:Masking*:Windows*:Alibi*:Softcap*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED|SKIPPED|non-zero" | head -12
timeout 150 "$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
} > "$out/check.txt" 2>&1
cat "$out/check.txt"; echo "t=$(( $(date +%s) - t0 ))"
mkdir -p "$out/js"
dec() { local b=$1; shift; timeout 60 "$b" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}'; }
{
for C in 256 512 1024 2048 4096 8192 16384; do
  for dt in f16 f32; do
    n=$(timeout 60 "$new" bench --preset llama3-8b --prefill 0 --decode $C --dtype $dt --algorithm split-kv --repeats 20 --json "$out/js/decode-$C-$dt.json" 2>&1 | grep -E '^decode|rror' | awk '{print $5}')
    echo "$dt C=$C | old $(dec "$old" --preset llama3-8b --decode $C --dtype $dt) | new $n | old $(dec "$old" --preset llama3-8b --decode $C --dtype $dt) | new $(dec "$new" --preset llama3-8b --decode $C --dtype $dt)"
  done
done
for C in 512 4096; do
  echo "1b f16 C=$C | old $(dec "$old" --preset llama3.2-1b --decode $C --dtype f16) | new $(dec "$new" --preset llama3.2-1b --decode $C --dtype f16)"
done
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"; echo "t=$(( $(date +%s) - t0 ))"
tar -C "$out" -cf "$out/json.tar" js && rm -rf "$out/js"
st() { local b=$1; shift; timeout 120 "$b" bench "$@" --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | awk '{printf "%s:%s ", $2, $5}'; }
{
echo "step f16 old $(st "$old" --preset llama3-8b --decode 512,1024,2048,4096,8192,16384 --dtype f16)"
echo "step f16 new $(st "$new" --preset llama3-8b --decode 512,1024,2048,4096,8192,16384 --dtype f16)"
echo "step f32 old $(st "$old" --preset llama3-8b --decode 512,4096 --dtype f32) new $(st "$new" --preset llama3-8b --decode 512,4096 --dtype f32)"
echo "step 1b f16 old $(st "$old" --preset llama3.2-1b --decode 512,4096 --dtype f16) new $(st "$new" --preset llama3.2-1b --decode 512,4096 --dtype f16)"
} > "$out/step.txt" 2>&1
cat "$out/step.txt"; echo "t=$(( $(date +%s) - t0 ))"
