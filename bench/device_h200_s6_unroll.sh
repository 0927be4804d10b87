#!/usr/bin/env bash
# H200, 2026-11-30 (session 6), call 4: split_kv_decode's q.k loop with a runtime bound (fewer registers:
# 166 -> 115 f32, 150 -> 86 f16 in call 3) unrolled x2/x4/x8 by hand to keep loads in flight, register
# counts (bench/vkstats) and timings, and the split-kv target workgroup count around whole waves
# (132 SMs x workgroups per SM), one fresh process per point, variants alternated.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
stats() {
  local d=$out/vk/$1-$RANDOM; mkdir -p "$d"
  WEBATTN_KERNEL_DIR=$(kdir "$1") VKSTATS_DIR=$d VK_LAYER_PATH=$bin/vkstats VK_INSTANCE_LAYERS=VK_LAYER_WEBATTN_vkstats \
    "$bin/webattn" bench --preset llama3-8b --repeats 1 "${@:2}" >/dev/null 2>&1
  echo "  $1 $*: $(grep -o 'shader-1 .*Register Count=[0-9]*' "$d/stats.txt" | sed 's/entry dawn_entry_point exec "CS" subgroup 32 | //')"
}
all="base dynloop dyn2 dyn4 dyn8"
{
for v in $all; do
  stats $v --prefill 0 --decode 512 --dtype f32 --algorithm split-kv
  stats $v --prefill 0 --decode 512 --dtype f16 --algorithm split-kv
  [ $v = base ] || echo "  $v check: $(WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" check --algorithm split-kv --cases 12 --seed 131 2>&1 | grep -E 'check:|FAIL' | head -3)"
done
} > "$out/stats.txt" 2>&1
cat "$out/stats.txt"
b() { WEBATTN_KERNEL_DIR=$(kdir "$1") "$bin/webattn" bench --preset llama3-8b --repeats 20 --prefill 0 --algorithm split-kv "${@:2}" 2>&1 | grep -E '^decode|rror' | awk '{print $2, $5, $6}'; }
{
for dt in f16 f32; do
  for v in $all; do echo "$v t1024 $(b $v --decode 4096 --dtype $dt)"; done
  for C in 32768 131072; do
    for t in 1024 792 1320; do
      for v in base dyn4 dyn8; do echo "$v t$t $(b $v --decode $C --dtype $dt --split-workgroups $t)"; done
    done
    for v in dynloop dyn2; do echo "$v t1024 $(b $v --decode $C --dtype $dt)"; done
  done
done
} > "$out/timing.txt" 2>&1
cat "$out/timing.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
