#!/usr/bin/env bash
# H200, 2026-12-02 (session 20), call 6: the Q tile substituted into the kernel's text (flash_prefill.cpp
# q_edits; without the tile the text is HEAD's byte for byte) instead of call 5's q_at function, which cost
# 0.7-1.3% at D 128 with the tile off. (1) llama3.2-1b: rule / Q tile off; (2) llama3-8b: build / HEAD's kernel
# text (var/oldk); (3) correctness. Per call, us; two rounds alternated.
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
pre() { timeout 90 "$w" bench --decode 0 --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|^chunked|rror' | awk '{print $5}' | paste -sd/; }
{
echo "== (1) llama3.2-1b prefill: rule / Q tile off"
for pt in "128 f32" "128 f16" "512 f32" "512 f16"; do
  set -- $pt; line="S=$1 $2"
  for r in 1 2; do line="$line | $(pre --preset llama3.2-1b --prefill $1 --dtype $2) / $(WEBATTN_FLASH_Q_TILE=off pre --preset llama3.2-1b --prefill $1 --dtype $2)"; done
  echo "$line"
done
echo "== (2) llama3-8b prefill: build / HEAD's kernel text"
for pt in "128 f32" "512 f32" "2048 f32"; do
  set -- $pt; line="S=$1 $2"
  for r in 1 2; do line="$line | $(pre --preset llama3-8b --prefill $1 --dtype $2) / $(WEBATTN_KERNEL_DIR=$bin/var/oldk pre --preset llama3-8b --prefill $1 --dtype $2)"; done
  echo "$line"
done
echo "== (3) correctness"
echo "tests: $(timeout 150 "$bin/webattn_tests" --gtest_filter='Flash*:HardInput*:Mask*:Windows*:Sinks*:Lse*:Plan*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |Failure" | head -8 | tr '\n' ' ')"
echo "check Q tile on: $(WEBATTN_FLASH_Q_TILE=on timeout 60 "$w" check --algorithm flash-prefill --cases 30 --seed 2021 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
echo "check: $(timeout 60 "$w" check --cases 16 --seed 2023 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
} > "$out/verify.txt" 2>&1
cat "$out/verify.txt"
