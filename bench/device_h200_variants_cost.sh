#!/usr/bin/env bash
# H200, 2026-11-29: after the variants (sliding window, soft-cap, sinks, LSE) landed: plain
# decode / prefill speed (must match the results job), their cost (window 4096 at C=32768,
# soft-cap 50), and correctness on the GPU (check with random variants, fuzz).
# there: bash .device/run.sh bash .device/bin/device_h200_variants_cost.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
w="$bin/webattn"
stamp() { echo "== $(date +%T) $*"; }
"$w" probe > "$out/probe.txt" 2>&1
{
  stamp plain; "$w" bench --preset llama3-8b --decode 4096 32768 --dtype f32 f16 --algorithm split-kv 2>&1 | grep -E "^decode"
  "$w" bench --preset llama3-8b --prefill 512 2048 --dtype f32 --algorithm flash-prefill 2>&1 | grep -E "^prefill"
  stamp "window 4096"; "$w" bench --preset llama3-8b --decode 32768 --dtype f32 f16 --algorithm split-kv --window 4096 2>&1 | grep -E "^decode|rror"
  "$w" bench --preset llama3-8b --prefill 2048 --dtype f32 --algorithm flash-prefill --window 512 2>&1 | grep -E "^prefill|rror"
  stamp "softcap 50"; "$w" bench --preset llama3-8b --decode 32768 --dtype f32 f16 --algorithm split-kv --softcap 50 2>&1 | grep -E "^decode|rror"
  "$w" bench --preset llama3-8b --prefill 2048 --dtype f32 --algorithm flash-prefill --softcap 50 2>&1 | grep -E "^prefill|rror"
  stamp check; "$w" check --cases 30 2>&1 | tail -2
  stamp fuzz; "$w" check --fuzz 300 --cases 0 --no-presets --seed 29 2>&1 | tail -3
} > "$out/variants-cost.txt" 2>&1
cat "$out/variants-cost.txt"
