#!/usr/bin/env bash
# H200, 2026-11-30 (session 8), call 5: flash-prefill's 128-row tile (TX=8) in 128-thread workgroups (64 rows,
# twice the workgroups of the 256-thread form, each thread the wide tile's work) for the prompt lengths where
# 256-thread 128-row workgroups are too few (S <= 768), against the other three (threads, TX) forms, through
# $WEBATTN_FLASH_THREADS / $WEBATTN_FLASH_THREADS_X; one process per form and shape group, two rounds; a check of
# the new form first.
# Stage: webattn, libwebgpu_wrapper.so, ceilings.json, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
echo "wg128 tx8 check: $(WEBATTN_FLASH_THREADS=128 WEBATTN_FLASH_THREADS_X=8 "$bin/webattn" check --algorithm flash-prefill --cases 10 --seed 851 2>&1 | tr '\r' '\n' | sed 's/\]\[/]\n[/g' | grep -E 'check:|FAIL' | head -3)" > "$out/check.txt"
cat "$out/check.txt"
pf() { WEBATTN_FLASH_THREADS=$1 WEBATTN_FLASH_THREADS_X=$2 "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "${@:3}" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5}' | tr '\n' '|'; }
{
for r in 1 2; do
  for form in "256 16" "256 8" "128 8" "128 16"; do
    set -- $form
    echo "r$r wg$1 tx$2 8b $(pf $1 $2 --preset llama3-8b --prefill 128,256,512,768,1024 --dtype f32)"
    echo "r$r wg$1 tx$2 8b-f16 $(pf $1 $2 --preset llama3-8b --prefill 512,768 --dtype f16)"
    echo "r$r wg$1 tx$2 1b $(pf $1 $2 --preset llama3.2-1b --prefill 512,768 --dtype f32)"
  done
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
