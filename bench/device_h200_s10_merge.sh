#!/usr/bin/env bash
# H200, 2026-11-30 (session 10), call 4: the split-kv merge pass's workgroup size ($WEBATTN_SPLIT_KV_MERGE_THREADS;
# the default grows it up to 1024 with the chunk count: 64 chunks x 32 vec4s from C = 4096), alternated, one
# fresh process per point, per call and per 32-layer model step (f16 cache); the target workgroup count
# for the f16 decode at long contexts with lazy rescaling (0 = by form: 512).
# Stage: webattn, libwebgpu_wrapper.so, ceilings.json, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
here=$bin
{
  # The merge pass's workgroup size (up to 1024 by the chunk count: 64 chunks x 32 vec4s at C >= 4096).
  for C in 512 4096 32768; do
    for m in 1024 256 128 1024 256 128; do
      echo "merge $m $(WEBATTN_SPLIT_KV_MERGE_THREADS=$m "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode $C --dtype f16 --algorithm split-kv --repeats 20 2>&1 | grep -E '^decode|rror')"
    done
  done
  for m in 1024 256 128; do
    echo "merge $m $(WEBATTN_SPLIT_KV_MERGE_THREADS=$m "$bin/webattn" bench --preset llama3-8b --decode 4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror')"
  done
  for C in 16384 32768 131072; do
    for n in 0 640 768 1024; do
      echo "f16 wg$n $("$bin/webattn" bench --preset llama3-8b --prefill 0 --decode $C --dtype f16 --algorithm split-kv --repeats 20 --split-workgroups $n 2>&1 | grep -E '^decode|rror')"
    done
  done
} > "$out/perf.txt" 2>&1
cat "$out/perf.txt"
