#!/usr/bin/env bash
# H200, 2026-11-30 (session 5), call 1: split-kv-lanes (query rows in registers, a lane group
# per key, no workgroup memory in the key loop) against split-kv in the same process, its
# shapes (LPK,KPI,WG via $WEBATTN_SPLIT_LANES) and chunk targets, correctness there, and the
# model step with the planner's choice.
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, ceilings.json, device_lib.sh, this script;
# there: bash .device/run.sh bash .device/bin/device_h200_s5_lanes.sh
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
w() { "$bin/webattn" "$@"; }
dec() { w bench --preset llama3-8b --prefill 0 --repeats 20 "$@" 2>&1 | grep -E '^decode|rror'; }
{
  for C in 512 4096 16384 32768 131072; do
    for dt in f32 f16; do
      dec --decode $C --dtype $dt --algorithm split-kv --algorithm split-kv-lanes --json "$out/decode-$C-$dt.json"
    done
  done
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"
{
  for C in 32768 131072; do
    for dt in f32 f16; do
      for v in 8,2,128 16,1,128 16,2,128 8,1,256 32,1,128; do
        echo "$v $(WEBATTN_SPLIT_LANES=$v dec --decode $C --dtype $dt --algorithm split-kv-lanes)"
      done
      for t in 512 2048; do
        echo "wgs$t $(dec --decode $C --dtype $dt --algorithm split-kv-lanes --split-workgroups $t)"
      done
    done
  done
} > "$out/shapes.txt" 2>&1
cat "$out/shapes.txt"
{
  w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 --json "$out/model-step.json" 2>&1 | grep -E "^step|rror"
  w bench --preset llama3-8b --decode 4096 --dtype f32 --layers model --repeats 20 2>&1 | grep -E "^step|rror"
} > "$out/model-step.txt" 2>&1
cat "$out/model-step.txt"
{
  w check --algorithm split-kv-lanes --cases 40 2>&1 | grep -v "^\[" | tail -3
  w check --fuzz 100 --seed 53 2>&1 | tr '\r' '\n' | grep -v "^\[[0-9]*/" | tail -8
  "$bin/webattn_tests" --gtest_filter='AllAlgorithms*:AllVariants*:Alibi*:Mask*:Sinks*:Softcap*:SlidingWindow*:Windows*:Lse*:F16Activations*:HardInputs*:ExtremeScores*:Masking*:Plan*:SplitKv*:EdgeShapes*:LongSums*' 2>&1 \
    | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -30
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
