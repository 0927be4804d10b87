#!/usr/bin/env bash
# H200, 2026-12-02 (session 20), call 2: does the one-dispatch decode's writable cache binding slow its K/V
# loads? `ro` (bench/decode_ablation.py: the cache bound read-only, as the two-pass split binds it, and the
# step's key never written) against the kernel as landed and `nostart` (the key not written, the binding still
# read_write). Timing only. Two rounds, alternated point by point; per call, us.
. "$(dirname "$0")/device_lib.sh"
d() { "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}' | head -1; }
{
for pt in "f16 4096" "f16 8192" "f16 16384" "f32 8192" "f32 16384"; do
  set -- $pt; dt=$1; C=$2
  for r in 1 2; do
    line="$dt C=$C r$r: base=$(d --decode $C --dtype $dt)"
    for v in nostart ro; do line+=" $v=$(WEBATTN_KERNEL_DIR=$(kdir $v) d --decode $C --dtype $dt)"; done
    echo "$line"
  done
done
echo "registers (vkstats), f16 16384: base $(stats base "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode 16384 --dtype f16 --repeats 2 --algorithm split-kv) / ro $(WEBATTN_KERNEL_DIR=$(kdir ro) stats ro "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode 16384 --dtype f16 --repeats 2 --algorithm split-kv)"
} > "$out/ro.txt" 2>&1
cat "$out/ro.txt"
