#!/usr/bin/env bash
# H200, 2026-12-01 (session 13), call 4: where more subgroups per workgroup pay (one fresh process per point, settings
# forced by WEBATTN_SPLIT_KV_PASSES / WEBATTN_SPLIT_KV_SUBGROUPS, alternated, two rounds): the f16 cache at the ends
# of the range (256, 16384, 32768), the f32 cache from 512 to 8192, llama3.2-1b (D = 64, key groups).
. "$(dirname "$0")/device_lib.sh"
dec() { timeout 60 "$bin/webattn" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}'; }
v() { forced "$@"; }  # device_lib.sh
# row LABEL PRESET C DTYPE SETTINGS...: each setting "passes/nsg", twice, alternated
row() {
  local label=$1 preset=$2 C=$3 dt=$4; shift 4
  local line="$label" s
  for s in "$@" "$@"; do line="$line | $s $(v "${s%/*}" "${s#*/}" dec --preset $preset --decode $C --dtype $dt)"; done
  echo "$line"
}
t0=$(date +%s)
{
row "f16 C=256" llama3-8b 256 f16 one/4 one/8 one/16
row "f16 C=16384" llama3-8b 16384 f16 two/4 one/16 two/16
row "f16 C=32768" llama3-8b 32768 f16 two/4 one/16
row "f32 C=512" llama3-8b 512 f32 one/4 one/8 one/16
row "f32 C=1024" llama3-8b 1024 f32 two/4 one/8 one/16
row "f32 C=2048" llama3-8b 2048 f32 two/4 one/8 one/16
row "f32 C=4096" llama3-8b 4096 f32 two/4 one/8 one/16
row "f32 C=8192" llama3-8b 8192 f32 two/4 one/8 one/16
row "1b f16 C=512" llama3.2-1b 512 f16 one/4 one/8 one/16
row "1b f16 C=4096" llama3.2-1b 4096 f16 two/4 one/8 one/16
row "1b f32 C=4096" llama3.2-1b 4096 f32 two/4 one/8 one/16
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"; echo "t=$(( $(date +%s) - t0 ))"
