#!/usr/bin/env bash
# Device run 3: correctness of the subgroup split-kv path, then decode/prefill timings.
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
w="$bin/webattn"
"$w" check --cases 60 --algorithm split-kv flash-prefill 2>/dev/null | tail -3 | tee "$out/check.txt"
"$w" bench --preset llama3-8b --prefill 512,2048 --decode 512,4096,16384,32768,131072 --dtype f32 f16 \
   --algorithm split-kv flash-prefill --repeats 20 --probe-mib 1024 --json "$out/bench-llama3-8b.json" 2>/dev/null \
   > "$out/bench-llama3-8b.txt"
for wgs in 256 1024 4096; do
  echo "== split-workgroups $wgs"
  "$w" bench --preset llama3-8b --prefill 0 --decode 512,16384 --dtype f32 f16 --algorithm split-kv \
     --split-workgroups $wgs --repeats 20 --probe-mib 256 2>/dev/null | grep -E "^decode"
done > "$out/split-sweep.txt"
cat "$out/bench-llama3-8b.txt" "$out/split-sweep.txt"
