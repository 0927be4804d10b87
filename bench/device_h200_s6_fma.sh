#!/usr/bin/env bash
# H200, 2026-11-30 (session 6), call 8: flash_prefill's score loop as explicit fma chains (f_fma; no dot()
# plus add), and the P.V sums of full tiles as fma too (f_fma2), against the shipped kernel, one process per
# point, alternated; a check of each.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
VARIANTS=var2
all="base f_fma f_fma2"
for v in f_fma f_fma2; do
  echo "$v check: $(WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" check --algorithm flash-prefill --cases 12 --seed 157 2>&1 | grep -E 'check:|FAIL' | head -3)"
done
b() { WEBATTN_KERNEL_DIR=$(kdir "$1") "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "${@:2}" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $5, $6}'; }
for p in "llama3-8b 128" "llama3-8b 512" "llama3-8b 2048" "llama3.2-1b 2048"; do
  set -- $p
  for v in $all; do echo "$v $1 $(b $v --preset $1 --prefill $2 --dtype f32)"; done
done
