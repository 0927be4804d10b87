#!/usr/bin/env bash
# H200, 2026-12-01 (session 19), call 4 (after call 2, the device still warm; staged with call 2's files and
# var/qsh/flash_prefill.wgsl replaced by the kernel with bench/variants_s19/flash_prefill_qsh1024.patch applied: the Q tile fixed at
# 1024 vec4s so the supports() pre-check at 256 threads fits): the embedded kernel (rule), the Q-tile variant
# (qsh: 48-key tiles beside the tile at D 128) and the variant at 32-key tiles (q32), alternated, two rounds.
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
run() { local f=$1; shift; case $f in rule) "$@" ;; qsh) WEBATTN_KERNEL_DIR=$bin/var/qsh "$@" ;; q32) WEBATTN_KERNEL_DIR=$bin/var/qsh "$@" --flash-keys-per-tile 32 ;; esac; }
pre() { local f=$1; shift; run $f timeout 60 "$w" bench --decode 0 --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|^chunked|rror' | awk '{print $5}' | paste -sd/; }
for pt in "llama3-8b 128 f32" "llama3-8b 128 f16" "llama3-8b 256 f32" "llama3-8b 32@4064 f32" "llama3-8b 512 f32"; do
  set -- $pt; line="$1 S=$2 $3"
  for r in 1 2; do for m in rule qsh q32; do line="$line | $m $(pre $m --preset $1 --prefill $2 --dtype $3)"; done; done
  echo "$line"
done | tee $out/prefill2.txt
