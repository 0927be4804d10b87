#!/usr/bin/env bash
# H200, 2026-11-29, last call: allocation history (issue #11 item 2: the same decode point
# fresh and after 2 GiB were allocated, written and freed, in one process; and a process
# that churned before its first cache), the model step (item 3: llama3-8b, 32 layers, one
# plan per layer, one token through all layers per step), a split-kv workgroup-target sweep,
# and, if staged, the sliding-window branch's binary (webattn-var) on plain and windowed decode.
# there: bash .device/run.sh bash .device/bin/device_h200_final.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
w="$bin/webattn"
stamp() { echo "== $(date +%T) $*"; }
"$w" probe > "$out/probe.txt" 2>&1
{
  stamp churn-in-process
  "$w" bench --preset llama3-8b --decode 16384 131072 --dtype f32 f16 --algorithm split-kv --churn-mib 2048 \
     --json "$out/churn.json" 2>&1 | grep -E "^decode|churn|ratio"
  stamp churn-once
  "$w" bench --preset llama3-8b --decode 131072 --dtype f32 f16 --algorithm split-kv --churn-mib 2048 --churn-once 2>&1 | grep -E "^decode"
  stamp fresh
  "$w" bench --preset llama3-8b --decode 131072 --dtype f32 f16 --algorithm split-kv 2>&1 | grep -E "^decode"
} > "$out/churn.txt" 2>&1
{
  stamp model-step
  "$w" bench --preset llama3-8b --layers model --decode 512 4096 32768 --dtype f32 f16 --json "$out/model-step.json" 2>&1 | grep -vE "^\[" | tail -12
} > "$out/model-step.txt" 2>&1
{
  for t in 512 1024 2048 4096 8192; do
    stamp "split-workgroups $t"
    "$w" bench --preset llama3-8b --decode 4096 16384 131072 --dtype f32 f16 --algorithm split-kv --split-workgroups $t 2>&1 | grep -E "^decode"
  done
} > "$out/split-sweep.txt" 2>&1
if [ -x "$bin/webattn-var" ]; then
  {
    stamp "variants binary: plain decode"
    "$bin/webattn-var" bench --preset llama3-8b --decode 4096 32768 --dtype f32 f16 --algorithm split-kv 2>&1 | grep -E "^decode"
    "$bin/webattn-var" bench --preset llama3-8b --prefill 2048 --dtype f32 --algorithm flash-prefill 2>&1 | grep -E "^prefill"
    stamp "variants binary: window 4096 at 32768"
    "$bin/webattn-var" bench --preset llama3-8b --decode 32768 --dtype f32 f16 --algorithm split-kv --window 4096 2>&1 | grep -E "^decode|rror"
    "$bin/webattn-var" check --cases 20 2>&1 | tail -2
  } > "$out/variants.txt" 2>&1
fi
cat "$out/churn.txt" "$out/model-step.txt" "$out/split-sweep.txt" "$out/variants.txt" 2>/dev/null
