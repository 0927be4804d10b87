#!/usr/bin/env bash
# H200, 2026-11-30 (session 8), call 9: with two fma chains at D=128 (call 8), are 128-thread workgroups still the
# faster form at S=C=128 and 256? The rule's choice (128 threads) against 256 forced, f32, alternated twice.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
pf() { "$bin/webattn" bench --repeats 10 --algorithm flash-prefill --preset llama3-8b --prefill 128,256 --dtype f32 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5}' | tr '\n' '|'; }
for r in 1 2; do echo "r$r rule $(pf)"; echo "r$r wg256 $(WEBATTN_FLASH_THREADS=256 pf)"; done | tee "$out/threads.txt"
