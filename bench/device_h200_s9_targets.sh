#!/usr/bin/env bash
# H200, 2026-11-30 (session 9), call 2: the probe with batched bandwidth runs (4 dispatches per timed
# run); split-kv's subgroup form after its merge rewrite (all rows per round): correctness there, the
# target workgroup count swept per context and dtype (one fresh process per point), the tile form at
# each point beside it, the model step at three targets.
# Stage: webattn, webattn_tests, webattn_long_tests, libwebgpu_wrapper.so, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
w() { "$bin/webattn" "$@"; }
dec() { w bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
w probe --json "$out/probe.json" > "$out/probe.txt" 2>&1; tail -5 "$out/probe.txt"
{
echo "check: $(w check --algorithm split-kv --cases 30 --seed 911 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
echo "fuzz: $(w check --fuzz 80 --seed 913 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
"$bin/webattn_tests" --gtest_filter='SplitKv*:Adversarial*:Plan*:HardInputs*:Windows*:Mask*:Sinks*:Lse*:Alibi*:Softcap*:SlidingWindow*:ExtremeScores*:F16Activations*:EdgeShapes*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -8
"$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -4
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
for C in 512 4096 16384 32768 131072; do
  for dt in f32 f16; do
    echo "tiles      $(WEBATTN_SPLIT_KV_KERNEL=tiles dec --decode $C --dtype $dt)"
    for n in 512 640 768 1024 1536 2048; do
      if [ $C = 512 ] && [ $n != 1024 ]; then continue; fi
      echo "sg wg$n $(dec --decode $C --dtype $dt --split-workgroups $n)"
    done
  done
done
for n in 640 1024 1536; do
  echo "sg wg$n $(w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 --split-workgroups $n 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
done
} > "$out/perf.txt" 2>&1
cat "$out/perf.txt"
