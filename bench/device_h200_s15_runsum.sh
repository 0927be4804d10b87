#!/usr/bin/env bash
# H200, 2026-12-01 (session 15), call 4: why the FA2 running-output form of flash-prefill gets local memory with
# 128-row tiles (bench/prefill_runsum2.py variants of b45f659's kernel: registers, local memory, time), and
# 48-key tiles with the K prefetch off. Stage: ../shared/device/stage.sh build/webattn build/libwebgpu_wrapper.so
#   build/vkstats /tmp/ceilings.json bench/device_lib.sh bench/device_h200_s15_runsum.sh /tmp/var3 (as var)
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
t0=$(date +%s)
vs="base rs rs_flat rs_norescale rs_nomask"
{
for v in $vs; do
  for S in 2048 512; do
    echo "regs $v S=$S: $(stats pre-$v-$S env WEBATTN_KERNEL_DIR=$(kdir $v) "$w" bench --preset llama3-8b --repeats 1 --decode 0 --prefill $S --dtype f32 --algorithm flash-prefill | sed 's/Register Count=16 Local Memory Size=68719476736 Shared Memory Size=0//g')"
  done
done
} > "$out/regs.txt" 2>&1
cat "$out/regs.txt"; echo "t=$(( $(date +%s) - t0 ))"
pre() { timeout 60 "$w" bench --decode 0 --repeats 10 --algorithm flash-prefill --dtype f32 "$@" 2>&1 | grep -E '^prefill|rror' | awk '{print $5}'; }
{
for S in 2048 1024 512; do
  line="S=$S"
  for r in 1 2; do
    for v in $vs; do line="$line | $v $(WEBATTN_KERNEL_DIR=$(kdir $v) pre --preset llama3-8b --prefill $S)"; done
  done
  echo "$line"
done
echo "S=2048 keys 48 | $(pre --preset llama3-8b --prefill 2048 --flash-keys-per-tile 48) | 64 $(pre --preset llama3-8b --prefill 2048) | 48 $(pre --preset llama3-8b --prefill 2048 --flash-keys-per-tile 48)"
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"; echo "t=$(( $(date +%s) - t0 ))"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
