#!/usr/bin/env bash
# Split-kv decode JSON for the README chart: tune, then one process per context (long-context
# timings depend on what a process allocated before; see bench/RESULTS.md), 1 GiB probe each.
#   bash .device/run.sh bash .device/bin/device_decode_json.sh      (results under $OUT)
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
"$bin/webattn" tune --preset llama3-8b > "$out/tune.txt" 2>&1
for C in 512 4096 16384 32768 65536 131072; do
  "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode $C --dtype f32 f16 --algorithm split-kv \
    --repeats 20 --json "$out/decode-$C.json" 2>/dev/null | grep "^decode"
done
