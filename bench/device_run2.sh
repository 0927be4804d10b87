#!/usr/bin/env bash
# Device run 2: steady-state (back-to-back) timings of llama3-8b and a split-kv sweep.
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
w="$bin/webattn"
"$w" bench --preset llama3-8b --prefill 512,2048 --decode 512,4096,16384 --dtype f32 f16 --repeats 20 \
   --probe-mib 1024 --json "$out/bench-llama3-8b.json" 2>/dev/null > "$out/bench-llama3-8b.txt"
for wgs in 256 512 2048 4096; do
  echo "== split-workgroups $wgs"
  "$w" bench --preset llama3-8b --prefill 0 --decode 512,16384,131072 --dtype f32 f16 --algorithm split-kv \
     --split-workgroups $wgs --repeats 20 --probe-mib 1024 2>/dev/null | grep -E "^decode"
done > "$out/split-sweep.txt"
"$w" bench --preset llama3-8b --prefill 2048 --decode 512,16384 --dtype f32 --algorithm flash-prefill split-kv \
   --batch 1 --repeats 20 --probe-mib 1024 2>/dev/null > "$out/isolated.txt"
cat "$out/bench-llama3-8b.txt" "$out/split-sweep.txt" "$out/isolated.txt"
