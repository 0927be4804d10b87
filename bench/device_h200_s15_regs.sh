#!/usr/bin/env bash
# H200, 2026-12-01 (session 15), call 2: flash-prefill's register consumers dropped one at a time
# (bench/prefill_regs.py: K/V prefetch, the second score chain, the per-tile P.V accumulator, and their
# combinations): each variant's registers, spill (local memory; extra workgroup memory past the declared
# 37888 B at S=2048) and time, alternated, one fresh process per point.
# Stage: ../shared/device/stage.sh build/webattn build/libwebgpu_wrapper.so build/vkstats /tmp/ceilings.json
#   bench/device_lib.sh bench/device_h200_s15_regs.sh /tmp/var2 (as var)
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
t0=$(date +%s)
vs="base nopf nopfk nopfv onechain runsum_nopf onechain_nopf runsum_onechain_nopf"
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
for pt in "llama3-8b 2048" "llama3-8b 512" "llama3-8b 128" "llama3.2-1b 2048"; do
  set -- $pt
  line="$1 S=$2"
  for r in 1 2; do
    for v in $vs; do line="$line | $v $(WEBATTN_KERNEL_DIR=$(kdir $v) pre --preset $1 --prefill $2)"; done
  done
  echo "$line"
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"; echo "t=$(( $(date +%s) - t0 ))"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
