#!/usr/bin/env bash
# H200, 2026-12-01 (session 13), call 1: split-kv's subgroup form with more subgroups per workgroup (NSG 8, 16, 32:
# as many subgroups in all, longer chunks, fewer partial states), so that one dispatch (the last workgroup of each kv
# head merging, its merge spread over parts of the workgroup) reaches past 512 keys. Correctness first, then decode per
# context with the previous rule (two dispatches, NSG 4 beyond 512 keys), the new default and each setting forced,
# one fresh process per point; then the 32-layer step.
# Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/webattn_long_tests
#   build/libwebgpu_wrapper.so build/vkstats /tmp/ceilings.json bench/device_lib.sh bench/device_h200_s13_nsg.sh
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
dec() { timeout 60 "$bin/webattn" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
# v PASSES NSG ARGS...: one point under the forced setting ("-" leaves a switch unset)
v() { forced "$@"; }  # device_lib.sh
t0=$(date +%s)
{
echo "check default: $(timeout 200 "$bin/webattn" check --algorithm split-kv --cases 24 --seed 1301 --no-presets 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst|rror' | head -6)"
echo "check NSG 16: $(WEBATTN_SPLIT_KV_SUBGROUPS=16 timeout 200 "$bin/webattn" check --algorithm split-kv --cases 24 --seed 1303 --no-presets 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst|rror' | head -6)"
timeout 300 "$bin/webattn_tests" --gtest_filter='SplitKvSubgroup*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED|SKIPPED" | head -12
echo "regs NSG 4/16 f16 4096 one: $(stats n4 env WEBATTN_SPLIT_KV_PASSES=one WEBATTN_SPLIT_KV_SUBGROUPS=4 "$bin/webattn" bench --prefill 0 --repeats 3 --algorithm split-kv --preset llama3-8b --decode 4096 --dtype f16) / $(stats n16 env WEBATTN_SPLIT_KV_PASSES=one WEBATTN_SPLIT_KV_SUBGROUPS=16 "$bin/webattn" bench --prefill 0 --repeats 3 --algorithm split-kv --preset llama3-8b --decode 4096 --dtype f16)"
echo "regs NSG 16 f32 4096 one: $(stats n16f32 env WEBATTN_SPLIT_KV_PASSES=one WEBATTN_SPLIT_KV_SUBGROUPS=16 "$bin/webattn" bench --prefill 0 --repeats 3 --algorithm split-kv --preset llama3-8b --decode 4096 --dtype f32)"
} > "$out/check.txt" 2>&1
cat "$out/check.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
# old: the previous rule (one dispatch at NSG 4 up to 512 keys, two beyond); "": the new default
for C in 512 1024 2048 4096 8192 16384; do
  old=two; [ $C -le 512 ] && old=one
  for rep in 1 2; do
    for s in "$old 4" " " "one 8" "one 16" "two 16" "one 32"; do
      set -- $s; p=${1:-}; n=${2:-}
      echo "f16 C=$C ${p:-dflt}/${n:-dflt} $(v "$p" "$n" dec --preset llama3-8b --decode $C --dtype f16)"
    done
  done
  for s in "$old 4" " " "one 16"; do
    set -- $s; p=${1:-}; n=${2:-}
    echo "f32 C=$C ${p:-dflt}/${n:-dflt} $(v "$p" "$n" dec --preset llama3-8b --decode $C --dtype f32)"
  done
done
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
for rep in 1 2; do
  for s in "two 4" " "; do
    set -- $s; p=${1:-}; n=${2:-}
    echo "step f16 ${p:-dflt}/${n:-dflt} $(v "$p" "$n" timeout 120 "$bin/webattn" bench --preset llama3-8b --decode 1024,2048,4096,8192 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | tr '\n' '|')"
  done
done
echo "step f32 dflt $(timeout 120 "$bin/webattn" bench --preset llama3-8b --decode 4096 --dtype f32 --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | tr '\n' '|')"
echo "1b f16 C=4096 two/4 $(v two 4 dec --preset llama3.2-1b --decode 4096 --dtype f16) dflt $(dec --preset llama3.2-1b --decode 4096 --dtype f16)"
} > "$out/step.txt" 2>&1
cat "$out/step.txt"; echo "t=$(( $(date +%s) - t0 ))"
