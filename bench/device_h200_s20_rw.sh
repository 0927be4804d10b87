#!/usr/bin/env bash
# H200, 2026-12-02 (session 20), call 3: after call 2 (the cache bound read-only and never written: f16 C=4096
# 13.7 -> 12.5 us, 8192 17.7 -> 15.5), which part of the landed one-pass kernel costs it: the binding's type
# (`rw_nocode`: read_write, no store) or a store ahead of the chunk's loads (`rw_end`: read_write, the step's key
# written after the walk; timing only). bench/decode_ablation.py variants; two rounds alternated; per call, us.
. "$(dirname "$0")/device_lib.sh"
d() { "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}' | head -1; }
{
for pt in "f16 2048" "f16 4096" "f16 8192" "f32 8192"; do
  set -- $pt; dt=$1; C=$2
  for r in 1 2; do
    line="$dt C=$C r$r: base=$(d --decode $C --dtype $dt)"
    for v in ro rw_nocode rw_end; do line+=" $v=$(WEBATTN_KERNEL_DIR=$(kdir $v) d --decode $C --dtype $dt)"; done
    echo "$line"
  done
done
st() { "$bin/webattn" bench --preset llama3-8b --decode 4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | awk '{print $6}' | head -1; }
for r in 1 2; do echo "model step f16 4096 r$r: base=$(st) ro=$(WEBATTN_KERNEL_DIR=$(kdir ro) st) rw_end=$(WEBATTN_KERNEL_DIR=$(kdir rw_end) st)"; done
} > "$out/rw.txt" 2>&1
cat "$out/rw.txt"
