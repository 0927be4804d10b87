#!/usr/bin/env bash
# H200, 2026-11-29 (session 4), final call: the build with the variant flags as generated
# constants and bench's clock warm-up. (1) correctness on the GPU; (2) decode per call, one
# fresh process per point; split-kv kernel variants from kvar-dec/ (il, alibi_inline);
# (3) allocation history: --churn-mib with the default clock warm-up and with --warmup-ms 0;
# (4) the 32-layer model step; (5) prefill incl. chunked and D64; flash-prefill variants from
# kvar-prefill/ (timed and checked); (6) variant cost at C=32768; (7) PyTorch, if time is left.
# nvidia-smi samples the SM clock every 20 ms throughout (smi-trace.csv, phases.txt).
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, kvar-dec/, kvar-prefill/, ceilings.json,
# torch_sdpa.py, this script; there: bash .device/run.sh bash .device/bin/device_h200_final4.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
export WEBATTN_CEILINGS_FILE=$out/ceilings.json
cp "$bin/ceilings.json" "$WEBATTN_CEILINGS_FILE"
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,utilization.gpu,clocks_throttle_reasons.active \
  --format=csv,noheader -lms 20 > "$out/smi-trace.csv" 2>&1 &
smi_pid=$!
mark() { echo "$(date -u +%s.%N) $*" >> "$out/phases.txt"; }
w() { "$bin/webattn" "$@"; }
{
  mark "begin check"
  w check --cases 30 2>&1 | tail -2
  w check --fuzz 120 --seed 41 2>&1 | tail -2
  "$bin/webattn_tests" --gtest_filter='AllAlgorithms*:AllVariants*:Alibi*:Mask*:Sinks*:Softcap*:SlidingWindow*:Windows*:Lse*:F16Activations*:HardInputs*:ExtremeScores*:Masking*:Plan*:SplitKv*:EdgeShapes*:TiledPrefill*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -30
  mark "end check"
} > "$out/check.txt" 2>&1
{
  mark "begin decode"
  for C in 512 4096 16384 32768 131072; do
    for dt in f32 f16; do
      echo "base $(w bench --preset llama3-8b --prefill 0 --decode $C --dtype $dt --algorithm split-kv --repeats 20 2>&1 | grep -E '^decode|rror')"
    done
  done
  for C in 32768 131072; do
    for dt in f32 f16; do
      for k in il alibi_inline; do
        echo "$k $(WEBATTN_KERNEL_DIR=$bin/kvar-dec/$k w bench --preset llama3-8b --prefill 0 --decode $C --dtype $dt --algorithm split-kv --repeats 20 2>&1 | grep -E '^decode|rror')"
      done
    done
  done
  mark "end decode"
} > "$out/decode.txt" 2>&1
{
  mark "begin churn"
  w bench --preset llama3-8b --prefill 0 --decode 16384,131072 --dtype f32 --dtype f16 --algorithm split-kv --repeats 20 \
    --churn-mib 2048 --json "$out/churn.json" 2>&1 | grep -E "^decode|^churn|warm-up|rror"
  echo "== --warmup-ms 0 (3 warm-up submissions only)"
  w bench --preset llama3-8b --prefill 0 --decode 16384,131072 --dtype f16 --algorithm split-kv --repeats 20 \
    --churn-mib 2048 --warmup-ms 0 2>&1 | grep -E "^decode|rror"
  mark "end churn"
} > "$out/churn.txt" 2>&1
{
  mark "begin step"
  w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 \
    --json "$out/model-step.json" 2>&1 | grep -E "^step|rror"
  w bench --preset llama3-8b --decode 4096 --dtype f32 --layers model --repeats 20 2>&1 | grep -E "^step|rror"
  mark "end step"
} > "$out/model-step.txt" 2>&1
{
  mark "begin prefill"
  w bench --preset llama3-8b --decode 0 --prefill 128,512,2048,512@3584,2048@14336 --dtype f32 --dtype f16 \
    --algorithm flash-prefill --repeats 10 --json "$out/prefill.json" 2>&1 | grep -E "^prefill|rror"
  w bench --preset llama3.2-1b --decode 0 --prefill 2048 --dtype f32 --algorithm flash-prefill --repeats 10 2>&1 | grep -E "^prefill|rror"
  for k in $(ls "$bin/kvar-prefill" 2>/dev/null); do
    [ -f "$bin/kvar-prefill/$k/flash_prefill.wgsl" ] || continue
    echo "== $k"
    WEBATTN_KERNEL_DIR=$bin/kvar-prefill/$k w bench --preset llama3-8b --decode 0 --prefill 128,512,2048 --dtype f32 \
      --algorithm flash-prefill --repeats 10 2>&1 | grep -E "^prefill|rror"
    WEBATTN_KERNEL_DIR=$bin/kvar-prefill/$k w check --algorithm flash-prefill --cases 15 2>&1 | tail -1
  done
  mark "end prefill"
} > "$out/prefill.txt" 2>&1
{
  mark "begin variants"
  for v in "--alibi" "--softcap 50" "--window 4096" "--sinks" "--act f16"; do
    echo "$v: $(w bench --preset llama3-8b --prefill 512 --decode 32768 --dtype f32 --algorithm split-kv --algorithm flash-prefill \
      --repeats 10 $v 2>&1 | grep -E '^decode|^prefill|rror' | tr '\n' '|')"
  done
  mark "end variants"
} > "$out/variants.txt" 2>&1
kill $smi_pid
cat "$out/check.txt" "$out/decode.txt" "$out/churn.txt" "$out/model-step.txt" "$out/prefill.txt" "$out/variants.txt"
