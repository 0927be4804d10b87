#!/usr/bin/env bash
# H200, 2026-11-30 (session 6), call 1: split_kv_decode with 2 keys per score item (64-key tiles,
# KPI 2) against 1 (32-key tiles) and against the session-5 kernel (old/, loaded through
# WEBATTN_KERNEL_DIR), f32 and f16 cache, one fresh process per point, variants alternated;
# correctness of both KPI values first.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
{
  for k in 1 2; do
    echo "KPI=$k check: $(WEBATTN_SPLIT_KV_KPI=$k "$bin/webattn" check --algorithm split-kv --cases 20 --seed 111 2>&1 | grep -E "check:|FAIL" | head -3)"
    echo "KPI=$k fuzz: $(WEBATTN_SPLIT_KV_KPI=$k "$bin/webattn" check --algorithm split-kv --fuzz 80 --cases 0 --no-presets --seed 113 2>&1 | grep -E "check:|FAIL" | head -3)"
    WEBATTN_SPLIT_KV_KPI=$k "$bin/webattn_long_tests" --gtest_filter='LongSums/LongDecode.MatchesFloat64/split_kv*' 2>&1 | grep -E "^\[ +(PASSED|FAILED) |Failure" | head -5
    WEBATTN_SPLIT_KV_KPI=$k "$bin/webattn_tests" --gtest_filter='SplitKv*:Variant*:Window*:Mask*:Sinks*:Adversarial*:HardInputs*' 2>&1 | grep -E "^\[ +(PASSED|FAILED) |Failure" | head -8
  done
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
dec() { "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
{
for C in 512 4096 16384 32768 131072; do
  for dt in f32 f16; do
    echo "old   $(WEBATTN_KERNEL_DIR=$bin/old WEBATTN_SPLIT_KV_KPI=1 dec --decode $C --dtype $dt)"
    echo "kpi1  $(WEBATTN_SPLIT_KV_KPI=1 dec --decode $C --dtype $dt)"
    echo "kpi2  $(WEBATTN_SPLIT_KV_KPI=2 dec --decode $C --dtype $dt)"
    if [ "$C" -ge 16384 ]; then
      echo "kpi2t2048 $(WEBATTN_SPLIT_KV_KPI=2 dec --decode $C --dtype $dt --split-workgroups 2048)"
      echo "kpi2t512  $(WEBATTN_SPLIT_KV_KPI=2 dec --decode $C --dtype $dt --split-workgroups 512)"
    fi
  done
done
for k in 1 2; do
  echo "kpi$k $(WEBATTN_SPLIT_KV_KPI=$k "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode 512,4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step' | tr '\n' '|')"
done
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"
