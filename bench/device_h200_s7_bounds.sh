#!/usr/bin/env bash
# H200, 2026-11-30 (session 7), call 7: flash-prefill's one-pass kernel with the split's chunk bounds from
# generated functions (identity without SPLIT; the build) against the `var` bounds set under `if (SPLIT)`
# (f_var, calls 2-6) and against call 1's longest-first kernel without any split code (f_revh), one fresh
# process per point, alternated; a check of the build first.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
VARIANTS=var6
echo "check: $("$bin/webattn" check --algorithm flash-prefill --cases 10 --seed 253 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -3)" > "$out/check.txt"
echo "split check: $(WEBATTN_FLASH_CHUNKS=3 "$bin/webattn" check --algorithm flash-prefill --cases 8 --seed 255 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -3)" >> "$out/check.txt"
cat "$out/check.txt"
pf() { WEBATTN_KERNEL_DIR=$(kdir "$1") "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "${@:2}" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5, $6}'; }
{
for p in "llama3-8b 128 f32" "llama3-8b 512 f32" "llama3-8b 2048 f32" "llama3.2-1b 2048 f32"; do
  set -- $p
  for v in base f_var f_revh; do echo "$v $1 $(pf $v --preset $1 --prefill $2 --dtype $3)"; done
done
echo "split default 32@4064 $("$bin/webattn" bench --repeats 10 --algorithm flash-prefill --preset llama3-8b --prefill 32@4064 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5, $6}')"
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
