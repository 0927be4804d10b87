#!/usr/bin/env bash
# H200, 2026-11-30 (session 5), call 8: the fused merge pass with its new-key dot products summed over
# D/4 lanes instead of the whole workgroup, fused vs separate, alternated, one process per point.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
dec() { "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
for p in "512 f32" "512 f16" "4096 f16" "131072 f16"; do
  set -- $p
  echo "fused    $(dec --decode $1 --dtype $2)"
  echo "separate $(WEBATTN_SPLIT_KV_UPDATE=separate dec --decode $1 --dtype $2)"
done
echo "fused    $("$bin/webattn" bench --preset llama3-8b --decode 512,4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step' | tr '\n' '|')"
"$bin/webattn" check --algorithm split-kv --cases 20 --seed 97 2>&1 | grep -E "check:|FAIL" | head -3
