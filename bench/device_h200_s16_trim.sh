#!/usr/bin/env bash
# H200, 2026-12-01 (session 16), call 1: flash-prefill skipping the keys no row of a workgroup can see in the tiles
# it sees in part (bench/prefill_trim.py: trimpv, trimall; exact) against the landed kernel (518143c: the fused
# masked P.V loop re-landed): registers, time alternated point by point (one fresh process per point, two rounds),
# and each variant's correctness (check and the flash / masking / hard-input suites through WEBATTN_KERNEL_DIR).
# Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/libwebgpu_wrapper.so build/vkstats
#   /tmp/ceilings.json bench/device_lib.sh bench/device_h200_s16_trim.sh, then the variants as .device/bin/var:
#   python3 bench/prefill_trim.py src/kernels .device/bin/var
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
t0=$(date +%s)
vs="base trimpv trimall"
{
for v in $vs; do
  for S in 2048 512 128; do
    echo "regs $v S=$S: $(stats pre-$v-$S env WEBATTN_KERNEL_DIR=$(kdir $v) "$w" bench --preset llama3-8b --repeats 1 --decode 0 --prefill $S --dtype f32 --algorithm flash-prefill | sed 's/Register Count=16 Local Memory Size=68719476736 Shared Memory Size=0//g')"
  done
done
} > "$out/regs.txt" 2>&1
cat "$out/regs.txt"; echo "t=$(( $(date +%s) - t0 ))"
pre() { timeout 60 "$w" bench --decode 0 --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|rror' | awk '{print $5}'; }
{
for pt in "llama3-8b 128 f32" "llama3-8b 256 f32" "llama3-8b 512 f32" "llama3-8b 1024 f32" "llama3-8b 2048 f32" \
          "llama3-8b 32@4064 f32" "llama3-8b 128@3968 f32" "llama3.2-1b 128 f32" "llama3.2-1b 512 f32" "llama3.2-1b 2048 f32" \
          "llama3-8b 128 f16" "llama3-8b 512 f16"; do
  set -- $pt
  line="$1 S=$2 $3"
  for r in 1 2; do
    for v in $vs; do line="$line | $v $(WEBATTN_KERNEL_DIR=$(kdir $v) pre --preset $1 --prefill $2 --dtype $3)"; done
  done
  echo "$line"
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
for v in trimpv trimall; do
  echo "check $v: $(WEBATTN_KERNEL_DIR=$(kdir $v) timeout 70 "$w" check --algorithm flash-prefill --cases 24 --seed 1601 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
  echo "tests $v: $(WEBATTN_KERNEL_DIR=$(kdir $v) timeout 80 "$bin/webattn_tests" --gtest_filter='Flash*:HardInput*:Mask*:Windows*:Sinks*:Alibi*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -4 | tr '\n' ' ')"
done
} > "$out/check.txt" 2>&1
cat "$out/check.txt"; echo "t=$(( $(date +%s) - t0 ))"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
