#!/usr/bin/env bash
# H200, 2026-11-30 (session 5), call 6: (a) untimed dispatches sharing one compute pass (the
# Recorder's new default) vs one compute pass per dispatch ($WEBATTN_PASS_PER_DISPATCH=1),
# alternated, one process per point: decode per call, the 32-layer model step, prefill;
# (b) the #11 item 2 warm-up remedy: after 8 s of GPU idle, --warmup-ms 0 vs the default
# 1500 ms at C=131072 (fresh process each, alternated); (c) correctness of this build there.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
w() { "$bin/webattn" "$@"; }
dec() { w bench --preset llama3-8b --prefill 0 --repeats 20 "$@" 2>&1 | grep -E '^decode|rror'; }
for C in 512 4096 32768; do
  for dt in f32 f16; do
    for rep in 1 2; do
      echo "one  $(dec --decode $C --dtype $dt --algorithm split-kv)"
      echo "per  $(WEBATTN_PASS_PER_DISPATCH=1 dec --decode $C --dtype $dt --algorithm split-kv)"
    done
  done
done
for rep in 1 2; do
  echo "one  $(w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
  echo "per  $(WEBATTN_PASS_PER_DISPATCH=1 w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
done
echo "one  $(w bench --preset llama3-8b --decode 4096 --dtype f32 --layers model --repeats 20 2>&1 | grep -E '^step|rror')"
echo "per  $(WEBATTN_PASS_PER_DISPATCH=1 w bench --preset llama3-8b --decode 4096 --dtype f32 --layers model --repeats 20 2>&1 | grep -E '^step|rror')"
for rep in 1 2; do
  echo "one  $(w bench --preset llama3-8b --decode 0 --prefill 128,512 --dtype f32 --algorithm flash-prefill --repeats 10 2>&1 | grep -E '^prefill|rror' | tr '\n' '|')"
  echo "per  $(WEBATTN_PASS_PER_DISPATCH=1 w bench --preset llama3-8b --decode 0 --prefill 128,512 --dtype f32 --algorithm flash-prefill --repeats 10 2>&1 | grep -E '^prefill|rror' | tr '\n' '|')"
done
for rep in 1 2; do
  for ms in 0 1500; do
    sleep 8
    echo "warmup-ms $ms (clock before: $(nvidia-smi --query-gpu=clocks.sm --format=csv,noheader)) $(dec --decode 131072 --dtype f32 --algorithm split-kv --warmup-ms $ms)"
  done
done
w check --cases 30 --seed 61 2>&1 | grep -E "check:|FAIL" | head -5
w check --fuzz 80 --seed 71 2>&1 | tr '\r' '\n' | grep -E "check:|FAIL|fuzz:" | head -8
"$bin/webattn_tests" --gtest_filter='Plan*:Sdpa*:Errors*:AllVariants*:HardInputs*:LongSums*:Windows*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -12
