#!/usr/bin/env bash
# H200, 2026-12-01 (session 13), call 6: decode JSONs for the README chart with the landed build (one fresh process
# per point; f16 and f32; 512 ... 131072 keys), against the staged ceilings of session 11's final call, whose
# prefill.json (prefill unchanged since) the chart keeps.
. "$(dirname "$0")/device_lib.sh"
mkdir -p "$out/js"
for C in 512 1024 2048 4096 8192 16384 32768 65536 131072; do
  for dt in f16 f32; do
    timeout 60 "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode $C --dtype $dt --algorithm split-kv --repeats 20 --json "$out/js/decode-$C-$dt.json" 2>&1 | grep -E '^decode|rror'
  done
done > "$out/decode.txt"
cat "$out/decode.txt"
tar -C "$out" -cf "$out/json.tar" js && rm -rf "$out/js"
