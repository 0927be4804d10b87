#!/usr/bin/env bash
# H200, 2026-11-30 (session 6), call 9: the fixed cost of a decode call's dispatches. split_kv_decode and
# split_kv_reduce replaced (WEBATTN_KERNEL_DIR=var3/empty) by kernels with the same bindings and grids that do
# no work (wrong output, timing only): 2 dispatches per call (the merge writes the update), 3 with the
# separate update pass (its kernel real); against the real kernels; the 32-layer model step the same way.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
b() { "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^(decode|step)|rror'; }
for C in 512 4096 131072; do
  for dt in f32 f16; do
    echo "real        $(b --decode $C --dtype $dt)"
    echo "empty 2     $(WEBATTN_KERNEL_DIR=$bin/var3/empty b --decode $C --dtype $dt)"
    echo "empty 2+upd $(WEBATTN_SPLIT_KV_UPDATE=separate WEBATTN_KERNEL_DIR=$bin/var3/empty b --decode $C --dtype $dt)"
  done
done
echo "real    $(b --decode 4096 --dtype f16 --layers model)"
echo "empty 2 $(WEBATTN_KERNEL_DIR=$bin/var3/empty b --decode 4096 --dtype f16 --layers model)"
