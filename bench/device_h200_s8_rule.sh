#!/usr/bin/env bash
# H200, 2026-11-30 (session 8), call 6: flash-prefill's 128-thread workgroups now where 256-thread ones would
# number at most 128 (was: fewer than 128), so S=C=256 takes them (call 5: 55.2 vs 63.9 us). The landed rule
# at S=128..512 and both dtypes, S=384 (192 workgroups of 256: the rule keeps 256) also with 128 forced; a check.
# Stage: webattn, libwebgpu_wrapper.so, ceilings.json, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
echo "check: $("$bin/webattn" check --algorithm flash-prefill --cases 8 --seed 861 2>&1 | tr '\r' '\n' | sed 's/\]\[/]\n[/g' | grep -E 'check:|FAIL' | head -3)" > "$out/check.txt"
cat "$out/check.txt"
pf() { "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5}' | tr '\n' '|'; }
{
for r in 1 2; do
  echo "r$r rule 8b f32 $(pf --preset llama3-8b --prefill 128,256,384,512 --dtype f32)"
  echo "r$r rule 8b f16 $(pf --preset llama3-8b --prefill 128,256,384,512 --dtype f16)"
  echo "r$r rule 1b f32 $(pf --preset llama3.2-1b --prefill 256,384 --dtype f32)"
  echo "r$r wg128 8b f32 $(WEBATTN_FLASH_THREADS=128 pf --preset llama3-8b --prefill 384 --dtype f32)"
  echo "r$r wg256 8b f32 $(WEBATTN_FLASH_THREADS=256 pf --preset llama3-8b --prefill 256 --dtype f32)"
  echo "r$r wg256 1b f32 $(WEBATTN_FLASH_THREADS=256 pf --preset llama3.2-1b --prefill 256 --dtype f32)"
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
