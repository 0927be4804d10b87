#!/usr/bin/env bash
# H200, 2026-11-30 (session 7), call 1: flash_prefill's workgroups longest-first (f_rev: row blocks in reverse;
# f_revh: reversed with kv heads fastest) and split_kv_decode with its first tile's K/V loads overlapping q's
# (d_qov: q held in registers until the first K tile is stored; d_kvfirst: first tile loaded before q), each
# against the shipped kernel, one fresh process per point, variants alternated; a check of each variant first.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
VARIANTS=var3
{
for v in f_rev f_revh; do
  echo "$v check: $(WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" check --algorithm flash-prefill --cases 12 --seed 211 2>&1 | grep -E 'check:|FAIL' | head -3)"
done
for v in d_qov d_kvfirst; do
  echo "$v check: $(WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" check --algorithm split-kv --cases 12 --seed 213 2>&1 | grep -E 'check:|FAIL' | head -3)"
  WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn_tests" --gtest_filter='SplitKv*:Variant*:Window*:Mask*:Sinks*:Adversarial*:HardInputs*' 2>&1 | grep -E "^\[ +(PASSED|FAILED) |Failure" | head -6
done
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
pf() { WEBATTN_KERNEL_DIR=$(kdir "$1") "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "${@:2}" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5, $6}'; }
{
for p in "llama3-8b 128 f32" "llama3-8b 512 f32" "llama3-8b 2048 f32" "llama3-8b 512 f16" "llama3-8b 2048 f16" "llama3-8b 128 f16" "llama3.2-1b 2048 f32" "llama3-8b 512@3584 f32" "llama3-8b 1024 f32"; do
  set -- $p
  for v in base f_rev f_revh; do echo "$v $1 $(pf $v --preset $1 --prefill $2 --dtype $3)"; done
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
dec() { WEBATTN_KERNEL_DIR=$(kdir "$1") "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "${@:2}" 2>&1 | grep -E '^decode|rror' | awk '{print $2, $4, $5, $6}'; }
{
for C in 512 4096 16384 131072; do
  for dt in f32 f16; do
    for v in base d_qov d_kvfirst; do echo "$v $C $(dec $v --decode $C --dtype $dt)"; done
  done
done
for v in base d_qov d_kvfirst; do
  echo "$v $(WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode 512,4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step' | awk '{print $2, $4, $5, $6}' | tr '\n' '|')"
done
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"
