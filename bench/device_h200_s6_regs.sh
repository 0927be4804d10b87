#!/usr/bin/env bash
# H200, 2026-11-30 (session 6), call 3: kernel variants aimed at the register counts bench/vkstats found
# (split_kv_decode 166, flash_prefill 206 registers per thread), loaded through WEBATTN_KERNEL_DIR
# (var/<name>/). For each: its pipelines' driver statistics (layer on, one short run), a correctness check,
# then timings, one fresh process per point (layer off), variants alternated.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
stats() {  # variant, bench args: register counts of the pipelines it creates
  local d=$out/vk/$1-$RANDOM; mkdir -p "$d"
  WEBATTN_KERNEL_DIR=$(kdir "$1") VKSTATS_DIR=$d VK_LAYER_PATH=$bin/vkstats VK_INSTANCE_LAYERS=VK_LAYER_WEBATTN_vkstats \
    "$bin/webattn" bench --preset llama3-8b --repeats 1 "${@:2}" >/dev/null 2>&1
  grep -o 'shader-[0-9]* .*Register Count=[0-9]*\|Local Memory Size=[0-9]*\|Shared Memory Size=[0-9]*' "$d/stats.txt" 2>/dev/null |
    sed 's/entry dawn_entry_point exec "CS" subgroup 32 | //' | paste -sd' ' | sed "s/^/  $1 $2 $3 $4 $5 $6 $7: /"
}
dec="base vshared dynloop vshared_dyn"
pre="base f_nopf f_dyn f_nopf_dyn"
{
for v in $dec; do
  stats $v --prefill 0 --decode 512 --dtype f32 --algorithm split-kv
  stats $v --prefill 0 --decode 512 --dtype f16 --algorithm split-kv
  echo "  $v check: $(WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" check --algorithm split-kv --cases 10 --seed 121 2>&1 | grep -E 'check:|FAIL' | head -3)"
done
for v in $pre; do
  stats $v --prefill 512 --dtype f32 --algorithm flash-prefill
  echo "  $v check: $(WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" check --algorithm flash-prefill --cases 10 --seed 121 2>&1 | grep -E 'check:|FAIL' | head -3)"
done
} > "$out/stats.txt" 2>&1
cat "$out/stats.txt"
b() { WEBATTN_KERNEL_DIR=$(kdir "$1") "$bin/webattn" bench --preset llama3-8b --repeats 20 "${@:2}" 2>&1 | grep -E '^(decode|prefill)|rror'; }
{
for C in 4096 32768 131072; do
  for dt in f32 f16; do
    for v in $dec; do echo "$v $(b $v --prefill 0 --decode $C --dtype $dt --algorithm split-kv)"; done
  done
done
for S in 512 2048; do
  for v in $pre; do echo "$v $(b $v --prefill $S --dtype f32 --algorithm flash-prefill)"; done
done
} > "$out/timing.txt" 2>&1
cat "$out/timing.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
