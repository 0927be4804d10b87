#!/usr/bin/env bash
# Split-kv decode, one process per (round, context): long-context timings vary with what the
# process allocated before (bench/results/2026-11-25-h100-session2-final/README.md).
#   bash .device/run.sh bash .device/bin/device_decode_isolated.sh      (results under $OUT)
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
"$bin/webattn" tune --preset llama3-8b > "$out/tune.txt" 2>&1
for round in 1 2 3; do
  for C in 512 4096 16384 32768 65536 131072; do
    "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode $C --dtype f32 f16 --algorithm split-kv \
      --repeats 20 2>/dev/null | grep "^decode" | sed "s/^/round $round: /"
  done
done | tee "$out/decode-isolated.txt"
