#!/usr/bin/env bash
# Device run 4: correctness + timings after the load-batching change.
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
w="$bin/webattn"
"$w" check --cases 60 --algorithm split-kv flash-prefill 2>/dev/null | tail -3 | tee "$out/check.txt"
"$w" bench --preset llama3-8b --prefill 512,2048 --decode 512,4096,16384,32768,131072 --dtype f32 f16 \
   --algorithm split-kv flash-prefill --repeats 20 --probe-mib 1024 --json "$out/bench-llama3-8b.json" 2>/dev/null \
   > "$out/bench-llama3-8b.txt"
"$w" bench --preset llama3.2-1b --prefill 512,2048 --decode 512,16384 --dtype f32 \
   --algorithm split-kv flash-prefill --repeats 20 --probe-mib 256 2>/dev/null > "$out/bench-llama3.2-1b.txt"
cat "$out/bench-llama3-8b.txt" "$out/bench-llama3.2-1b.txt"
