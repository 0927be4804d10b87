#!/usr/bin/env bash
# H200, 2026-11-30 (session 6), call 5: flash_prefill variants with fewer registers (206 per thread = one
# 256-thread workgroup per SM): no K/V prefetch (f_nopf), plus one-level sums (f_lean: no per-tile P.V
# accumulator), 32-key tiles (…32); register counts (bench/vkstats), a check, timings one process per point.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
stats() {
  local d=$out/vk/$1-$RANDOM; mkdir -p "$d"
  WEBATTN_KERNEL_DIR=$(kdir "$1") VKSTATS_DIR=$d VK_LAYER_PATH=$bin/vkstats VK_INSTANCE_LAYERS=VK_LAYER_WEBATTN_vkstats \
    "$bin/webattn" bench --repeats 1 "${@:2}" >/dev/null 2>&1
  echo "  $1 $*: $(grep -o 'shader-1 .*Register Count=[0-9]*\|Local Memory Size=[0-9]*\|Shared Memory Size=[0-9]*' "$d/stats.txt" | paste -sd' ' | sed 's/entry dawn_entry_point exec "CS" subgroup 32 | //')"
}
all="base f_nopf f_lean f_lean32 f_nopf32 f_32"
{
for v in $all; do
  stats $v --preset llama3-8b --prefill 512 --dtype f32 --algorithm flash-prefill
  [ $v = base ] || echo "  $v check: $(WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" check --algorithm flash-prefill --cases 12 --seed 137 2>&1 | grep -E 'check:|FAIL' | head -3)"
done
} > "$out/stats.txt" 2>&1
cat "$out/stats.txt"
b() { WEBATTN_KERNEL_DIR=$(kdir "$1") "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "${@:2}" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $5, $6}'; }
{
for S in 128 512 2048; do
  for v in $all; do echo "$v $(b $v --preset llama3-8b --prefill $S --dtype f32)"; done
done
for v in $all; do echo "$v d64 $(b $v --preset llama3.2-1b --prefill 2048 --dtype f32)"; done
} > "$out/timing.txt" 2>&1
cat "$out/timing.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
