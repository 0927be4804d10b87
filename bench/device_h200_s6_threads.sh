#!/usr/bin/env bash
# H200, 2026-11-30 (session 6), call 6: flash-prefill with 128-thread workgroups (32 rows: twice the
# workgroups) against 256 ($WEBATTN_FLASH_THREADS), one fresh process per point, alternated; register counts.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
{
for t in 128 256; do
  d=$out/vk/t$t; mkdir -p "$d"
  WEBATTN_FLASH_THREADS=$t VKSTATS_DIR=$d VK_LAYER_PATH=$bin/vkstats VK_INSTANCE_LAYERS=VK_LAYER_WEBATTN_vkstats \
    "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 128 --algorithm flash-prefill >/dev/null 2>&1
  echo "threads $t: $(grep -o 'shader-1 .*Register Count=[0-9]*\|Shared Memory Size=[0-9]*' "$d/stats.txt" | paste -sd' ' | sed 's/entry dawn_entry_point exec "CS" subgroup 32 | //')"
  echo "threads $t check: $(WEBATTN_FLASH_THREADS=$t "$bin/webattn" check --algorithm flash-prefill --cases 16 --seed 139 2>&1 | grep -E 'check:|FAIL' | head -3)"
done
echo "auto fuzz: $("$bin/webattn" check --fuzz 60 --cases 0 --no-presets --seed 141 2>&1 | grep -E 'check:|FAIL' | head -3)"
} > "$out/stats.txt" 2>&1
cat "$out/stats.txt"
b() { WEBATTN_FLASH_THREADS=$1 "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "${@:2}" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5, $6, $10, $11}'; }
{
for p in "llama3-8b 128 f32" "llama3-8b 128 f16" "llama3-8b 256 f32" "llama3-8b 512 f32" "llama3-8b 512 f16" "llama3-8b 2048 f32" "llama3.2-1b 128 f32" "llama3.2-1b 2048 f32" "llama3-8b 512@3584 f32"; do
  set -- $p
  for t in 128 256; do echo "t$t $1 $(b $t --preset $1 --prefill $2 --dtype $3)"; done
done
} > "$out/timing.txt" 2>&1
cat "$out/timing.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
