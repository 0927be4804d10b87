#!/usr/bin/env bash
# H200, 2026-12-01 (session 19), call 1: flash-prefill with 32 threads along keys / head dim (TX 32: each
# thread half the keys and head-dim columns of TX 16, twice the warps per row block) against the rule's
# tile shapes, through WEBATTN_FLASH_THREADS_X / WEBATTN_FLASH_THREADS on one binary: registers, time
# alternated point by point (one fresh process per point, two rounds), correctness of the TX 32 forms.
# Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/libwebgpu_wrapper.so build/vkstats
#   bench/results/2026-12-01-h200/s17-call2-final/ceilings.json bench/device_lib.sh bench/device_h200_s19_tx32.sh
# there: bash .device/run.sh bash .device/bin/device_h200_s19_tx32.sh
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
t0=$(date +%s)
# form NAME: the environment of each form ("" the rule)
form() {
  case $1 in
    rule) echo "" ;;
    x32w256) echo "WEBATTN_FLASH_THREADS_X=32 WEBATTN_FLASH_THREADS=256" ;;
    x32w128) echo "WEBATTN_FLASH_THREADS_X=32 WEBATTN_FLASH_THREADS=128" ;;
    x32w256pf) echo "WEBATTN_FLASH_THREADS_X=32 WEBATTN_FLASH_THREADS=256 WEBATTN_FLASH_PREFETCH_K=on" ;;
    x16w256) echo "WEBATTN_FLASH_THREADS_X=16 WEBATTN_FLASH_THREADS=256" ;;
  esac
}
forms="rule x32w256 x32w128 x32w256pf"
{
for m in $forms; do
  echo "regs $m S=128: $(stats pre-$m env $(form $m) "$w" bench --preset llama3-8b --repeats 1 --decode 0 --prefill 128 --dtype f32 --algorithm flash-prefill | sed 's/Register Count=16 Local Memory Size=68719476736 Shared Memory Size=0//g')"
done
} > "$out/regs.txt" 2>&1
cat "$out/regs.txt"; echo "t=$(( $(date +%s) - t0 ))"
pre() { timeout 60 "$w" bench --decode 0 --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|^chunked|rror' | awk '{print $5}' | paste -sd/; }
{
for pt in "llama3-8b 128 f32" "llama3-8b 128 f16" "llama3-8b 256 f32" "llama3-8b 512 f32" "llama3-8b 512 f16" \
          "llama3-8b 1024 f32" "llama3.2-1b 128 f32" "llama3.2-1b 2048 f32"; do
  set -- $pt
  line="$1 S=$2 $3"
  for r in 1 2; do
    for m in $forms; do line="$line | $m $(env $(form $m) bash -c "$(declare -f pre); w=$w; pre --preset $1 --prefill $2 --dtype $3")"; done
  done
  echo "$line"
done
for r in 1 2; do
  line="llama3-8b 32@4064 f32"
  for m in $forms; do line="$line | $m $(env $(form $m) bash -c "$(declare -f pre); w=$w; pre --preset llama3-8b --prefill 32@4064 --dtype f32")"; done
  echo "$line"
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
for m in x32w256 x32w128; do
  echo "tests $m: $(env $(form $m) timeout 100 "$bin/webattn_tests" --gtest_filter='FlashPrefill*:HardInput*:Mask*:Windows*:Sinks*:Alibi*:Lse*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |Failure" | head -6 | tr '\n' ' ')"
  echo "check $m: $(env $(form $m) timeout 80 "$w" check --algorithm flash-prefill --cases 24 --seed 1905 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
done
} > "$out/check.txt" 2>&1
cat "$out/check.txt"; echo "t=$(( $(date +%s) - t0 ))"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
