#!/usr/bin/env bash
# H200, 2026-11-30 (session 7), call 2: flash-prefill splitting the context of short prompts into chunks
# merged by split_kv_reduce ($WEBATTN_FLASH_CHUNKS forces the count; 1 = the one-pass kernel), with the
# longest-first workgroup order of call 1 built in. Checks first, then one fresh process per point.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
{
echo "default check: $("$bin/webattn" check --algorithm flash-prefill --cases 16 --seed 231 2>&1 | grep -E 'check:|FAIL' | head -3)"
for n in 2 3 5; do
  echo "chunks $n check: $(WEBATTN_FLASH_CHUNKS=$n "$bin/webattn" check --algorithm flash-prefill --cases 12 --seed 233 2>&1 | grep -E 'check:|FAIL' | head -3)"
done
echo "fuzz: $("$bin/webattn" check --fuzz 80 --cases 0 --no-presets --seed 235 2>&1 | grep -E 'check:|FAIL' | head -3)"
echo "check all: $("$bin/webattn" check --cases 12 --seed 237 2>&1 | grep -E 'check:|FAIL' | head -3)"
WEBATTN_FLASH_CHUNKS=3 "$bin/webattn_tests" --gtest_filter='Flash*:Variant*:Window*:Mask*:Sinks*:Adversarial*:HardInputs*:Lse*:Alibi*:Softcap*' 2>&1 | grep -E "^\[ +(PASSED|FAILED) |Failure" | head -6
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
pf() { WEBATTN_FLASH_CHUNKS=$1 "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "${@:2}" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5, $6, $10, $11, $12, $13}'; }
{
for p in "llama3-8b 128 f32 1 2 3 4" "llama3-8b 128 f16 1 3" "llama3-8b 64 f32 1 2" "llama3-8b 256 f32 1 2 3 4 6" "llama3-8b 512 f32 1 2 3" "llama3.2-1b 128 f32 1 2 3" "llama3-8b 128@3968 f32 1 3 6 12 24" "llama3-8b 32@4064 f32 1 8 16 32"; do
  set -- $p
  pre=$1; S=$2; dt=$3; shift 3
  for n in "$@"; do echo "chunks$n $pre $S $dt $(pf $n --preset $pre --prefill $S --dtype $dt)"; done
  echo "default $pre $S $dt $("$bin/webattn" bench --repeats 10 --algorithm flash-prefill --preset $pre --prefill $S --dtype $dt 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5, $6}')"
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
