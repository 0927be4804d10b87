#!/usr/bin/env bash
# H200, 2026-11-30 (session 5), call 2: is split_kv_decode slowed by its private arrays?
# Variant A (kvsA/): the accumulators acc[ROWS] as four named private vec4s; variant B (kvs/):
# also the K and V register arrays as named values (ROWS = 4, NK = NV = 8: llama3-8b decode
# only). Loaded at run time through $WEBATTN_KERNEL_DIR; one process per point, variants
# interleaved (base A B base A B).
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
dec() { "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
for C in 4096 32768 131072; do
  for dt in f32 f16; do
    for rep in 1 2; do
      echo "base $(dec --decode $C --dtype $dt)"
      echo "A    $(WEBATTN_KERNEL_DIR=$bin/kvsA dec --decode $C --dtype $dt)"
      echo "B    $(WEBATTN_KERNEL_DIR=$bin/kvs dec --decode $C --dtype $dt)"
    done
  done
done
for v in kvsA kvs; do
  echo "$v: $(WEBATTN_KERNEL_DIR=$bin/$v "$bin/webattn" check --algorithm split-kv --cases 0 -v 2>&1 | grep -E 'S=1 .*D=128' | tr '\n' '|')"
done
