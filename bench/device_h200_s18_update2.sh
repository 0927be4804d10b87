#!/usr/bin/env bash
# H200, 2026-12-01 (session 18), call 2: the fused cache update only where every key is the call's own
# (input_pos 0: the tiles come from k_new / v_new alone, the caches only written), against the separate
# update pass (WEBATTN_FLASH_UPDATE on one binary): registers, time alternated point by point (one fresh
# process per point, two rounds), correctness with this build's defaults (the update fused at input_pos 0).
# Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/libwebgpu_wrapper.so build/vkstats
#   bench/results/2026-12-01-h200/s17-call2-final/ceilings.json bench/device_lib.sh bench/device_h200_s18_update2.sh
# there: bash .device/run.sh bash .device/bin/device_h200_s18_update2.sh
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
t0=$(date +%s)
{
for m in fused separate; do
  for S in 2048 128; do
    echo "regs $m S=$S: $(stats pre-$m-$S env WEBATTN_FLASH_UPDATE=$m "$w" bench --preset llama3-8b --repeats 1 --decode 0 --prefill $S --dtype f32 --algorithm flash-prefill | sed 's/Register Count=16 Local Memory Size=68719476736 Shared Memory Size=0//g')"
  done
done
} > "$out/regs.txt" 2>&1
cat "$out/regs.txt"; echo "t=$(( $(date +%s) - t0 ))"
pre() { timeout 60 "$w" bench --decode 0 --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|^chunked|rror' | awk '{print $5}' | paste -sd/; }
{
for pt in "llama3-8b 128 f32" "llama3-8b 256 f32" "llama3-8b 512 f32" "llama3-8b 1024 f32" "llama3-8b 2048 f32" \
          "llama3-8b 128 f16" "llama3-8b 512 f16" "llama3-8b 2048 f16" \
          "llama3.2-1b 128 f32" "llama3.2-1b 1024 f32" "llama3.2-1b 2048 f32" "llama3.2-1b 128 f16"; do
  set -- $pt
  line="$1 S=$2 $3"
  for r in 1 2; do
    for m in fused separate; do line="$line | $m $(WEBATTN_FLASH_UPDATE=$m pre --preset $1 --prefill $2 --dtype $3)"; done
  done
  echo "$line"
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
timeout 60 "$w" bench --preset llama3-8b --decode 0 --repeats 10 --prefill 128,2048 --dtype f32,f16 2>&1 | grep -E '^prefill' | head -8
echo "tests: $(timeout 100 "$bin/webattn_tests" --gtest_filter='FlashPrefill*:HardInput*:Mask*:Windows*:Sinks*:Alibi*:Plan*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |Failure" | head -6 | tr '\n' ' ')"
echo "check: $(timeout 80 "$w" check --algorithm flash-prefill --cases 24 --seed 1805 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
echo "fuzz: $(timeout 60 "$w" check --fuzz 60 --cases 0 --seed 1807 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
} > "$out/check.txt" 2>&1
cat "$out/check.txt"; echo "t=$(( $(date +%s) - t0 ))"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
