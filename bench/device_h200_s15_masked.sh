#!/usr/bin/env bash
# H200, 2026-12-01 (session 15), call 5: cheaper forms of flash-prefill's masked P.V loop (bench/prefill_masked.py:
# msel, mbranch; both exact) against b45f659's kernel: registers, time alternated (one fresh process per point),
# and each variant's correctness (check and the masking / hard-input suites through WEBATTN_KERNEL_DIR).
# Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/libwebgpu_wrapper.so build/vkstats
#   /tmp/ceilings.json bench/device_lib.sh bench/device_h200_s15_masked.sh /tmp/var4 (as var)
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
t0=$(date +%s)
vs="base msel mbranch"
{
for v in $vs; do
  for S in 2048 512 128; do
    echo "regs $v S=$S: $(stats pre-$v-$S env WEBATTN_KERNEL_DIR=$(kdir $v) "$w" bench --preset llama3-8b --repeats 1 --decode 0 --prefill $S --dtype f32 --algorithm flash-prefill | sed 's/Register Count=16 Local Memory Size=68719476736 Shared Memory Size=0//g')"
  done
done
} > "$out/regs.txt" 2>&1
cat "$out/regs.txt"; echo "t=$(( $(date +%s) - t0 ))"
pre() { timeout 60 "$w" bench --decode 0 --repeats 10 --algorithm flash-prefill --dtype f32 "$@" 2>&1 | grep -E '^prefill|rror' | awk '{print $5}'; }
{
for pt in "llama3-8b 128" "llama3-8b 512" "llama3-8b 2048" "llama3.2-1b 512" "llama3-8b 32@4064"; do
  set -- $pt
  line="$1 S=$2"
  for r in 1 2; do
    for v in $vs; do line="$line | $v $(WEBATTN_KERNEL_DIR=$(kdir $v) pre --preset $1 --prefill $2)"; done
  done
  echo "$line"
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
for v in msel mbranch; do
  echo "check $v: $(WEBATTN_KERNEL_DIR=$(kdir $v) timeout 60 "$w" check --algorithm flash-prefill --cases 24 --seed 1523 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
  echo "tests $v: $(WEBATTN_KERNEL_DIR=$(kdir $v) timeout 60 "$bin/webattn_tests" --gtest_filter='Flash*:HardInput*:Mask*:Windows*:Sinks*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -4 | tr '\n' ' ')"
done
} > "$out/check.txt" 2>&1
cat "$out/check.txt"; echo "t=$(( $(date +%s) - t0 ))"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
