#!/usr/bin/env bash
# H200, 2026-11-30 (session 10), call 7: flash-prefill's split context (few rows on a long context) after the
# shuffled probabilities, which made its tiles 64 keys: the P tile form and forced chunk counts beside the
# default, alternated, one fresh process per point (f32).
# Stage: webattn, libwebgpu_wrapper.so, ceilings.json, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
pre() { "$bin/webattn" bench --preset llama3-8b --decode 0 --repeats 10 --algorithm flash-prefill --dtype f32 "$@" 2>&1 | grep -E '^prefill|rror'; }
{
for pt in 32@4064 128@3968; do
  for v in default memory c10 c16 default memory; do
    case $v in
      default) echo "$pt $v $(pre --prefill $pt)";;
      memory) echo "$pt $v $(WEBATTN_FLASH_P=memory pre --prefill $pt)";;
      c10) echo "$pt $v $(WEBATTN_FLASH_CHUNKS=10 pre --prefill $pt)";;
      c16) echo "$pt $v $(WEBATTN_FLASH_CHUNKS=16 pre --prefill $pt)";;
    esac
  done
done
} > "$out/perf.txt" 2>&1
cat "$out/perf.txt"
