#!/usr/bin/env bash
# H200, 2026-11-29 (session 3): issue #14 on the GPU after the variants landed: the checker
# and fuzzer with every variant (ALiBi, masks, f16 activations, window, soft-cap, sinks,
# lse); then the cost of each variant against plain attention, llama3-8b heads, f32 cache,
# one fresh process per (variant, point set); split-kv decode at 4096 / 32768 and
# flash-prefill at 512 / 2048 (Auto's choices).
# Stage: webattn, libwebgpu_wrapper.so, this script; there: bash .device/run.sh bash .device/bin/device_h200_variants_final.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
{
  "$bin/webattn" probe 2>&1 | tail -4
  echo "== check"; "$bin/webattn" check --cases 20 2>&1 | tail -2
  echo "== fuzz"; "$bin/webattn" check --fuzz ${FUZZ:-400} --cases 0 --no-presets 2>&1 | tail -3
} > "$out/check.txt" 2>&1
{
  for v in plain "--act f16" "--alibi" "--mask additive" "--mask bool" "--window 1024" "--softcap 50" "--sinks"; do
    args=""; [ "$v" = plain ] || args=$v
    for dt in f32 f16; do
      "$bin/webattn" bench --preset llama3-8b --decode 4096,32768 --prefill 512,2048 --dtype $dt --repeats 10 $args 2>&1 |
        grep -E "^decode|^prefill|rror|not run" | sed "s/^/[$v] /"
    done
  done
} > "$out/variants.txt" 2>&1
cat "$out/check.txt" "$out/variants.txt"
