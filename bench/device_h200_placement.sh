#!/usr/bin/env bash
# H200, 2026-11-29 (session 4): issue #11 item 2 (allocation history) and the split-kv loop's
# cost, split by stage.
# 1. `bench --placement`: 8 copies of a decode point's inputs, all alive, timed in rotation
#    for 4 rounds, each copy's K and V also read with the probe's read form; the same after
#    2 GiB churned before each copy.
# 2. split_kv_decode variants from kvar-dec/ through $WEBATTN_KERNEL_DIR, one fresh process
#    per point: il (tiles dealt round-robin to the chunks' workgroups: a real kernel),
#    loads / loads_il (only the loop's K and V loads), noscore (no q.k dot product),
#    nopv (no P.V) -- the last three are timing diagnostics with wrong output.
# 3. correctness of il on the GPU.
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, kvar-dec/, this script;
# there: bash .device/run.sh bash .device/bin/device_h200_placement.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
smi() { nvidia-smi -q -d CLOCK,PERFORMANCE 2>&1 | grep -E "Graphics|SM |Memory|Active|Idle|Slowdown|Throttle|Power Cap|Thermal" | head -30; }
{ date -u; smi; } > "$out/smi-before.txt" 2>&1
"$bin/webattn" probe --copy-mib 1024 --fma-iterations 8192 --repeats 20 > "$out/probe.txt" 2>&1
{
  "$bin/webattn" bench --preset llama3-8b --decode 16384,131072 --dtype f32 --dtype f16 --algorithm split-kv \
    --placement 8 --rounds 4 --repeats 10 --json "$out/placement.json"
  echo "== with 2048 MiB churned before each copy after the first"
  "$bin/webattn" bench --preset llama3-8b --decode 16384,131072 --dtype f16 --algorithm split-kv \
    --placement 6 --rounds 3 --repeats 10 --churn-mib 2048 --json "$out/placement-churn.json"
} > "$out/placement.txt" 2>&1
{ date -u; smi; } > "$out/smi-after-placement.txt" 2>&1
point() {  # kernel_dir dtype C
  WEBATTN_KERNEL_DIR=$1 "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode $3 --dtype $2 \
    --algorithm split-kv --repeats 20 2>&1 | grep -E "^decode|rror" | head -1
}
{
  for C in 4096 16384 131072; do
    for dt in f32 f16; do
      for k in base il loads loads_il noscore nopv base; do
        d=""; [ "$k" = base ] || d="$bin/kvar-dec/$k"
        echo "$k $dt $(point "$d" $dt $C)"
      done
    done
  done
} > "$out/decode-variants.txt" 2>&1
{
  for k in base il; do
    d=""; [ "$k" = base ] || d="$bin/kvar-dec/$k"
    echo "== check $k"
    WEBATTN_KERNEL_DIR=$d "$bin/webattn" check --algorithm split-kv --cases 25 2>&1 | tail -2
    echo "== tests $k"
    WEBATTN_KERNEL_DIR=$d "$bin/webattn_tests" --gtest_filter='SplitKv*:Plan*:SlidingWindow*:Sinks*:Lse*:Mask*:Alibi*:F16Activations*:HardInputs*:ExtremeScores*' 2>&1 \
      | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -20
  done
} > "$out/check.txt" 2>&1
{ date -u; smi; } > "$out/smi-after.txt" 2>&1
tail -4 "$out/probe.txt"; grep -E "spread|^decode C" "$out/placement.txt"; cat "$out/decode-variants.txt" "$out/check.txt"
