#!/usr/bin/env bash
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
w="$bin/webattn"
"$w" check --cases 40 --algorithm flash-prefill 2>/dev/null | tail -2
for tx in 16 8; do
  echo "== flash-threads-x $tx"
  "$w" bench --preset llama3-8b --prefill 512,1024,2048,4096 --decode 0 --dtype f32 f16 --algorithm flash-prefill \
    --flash-threads-x $tx --repeats 20 2>/dev/null | grep -E "^prefill"
  "$w" bench --preset llama3.2-1b --prefill 512,2048 --decode 0 --dtype f32 --algorithm flash-prefill \
    --flash-threads-x $tx --repeats 20 2>/dev/null | grep -E "^prefill"
done
