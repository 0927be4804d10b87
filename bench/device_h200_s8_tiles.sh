#!/usr/bin/env bash
# H200, 2026-11-30 (session 8), call 3. (a) With 128-row tiles (TX=8) the f16 cache ran 8.6% behind f32 at
# S=C=2048 in call 2: the landed kernel (K/V prefetched packed) against the one before (unpacked = session 7's
# flash_prefill.wgsl, unpacked at the load), f16, TX=8 forced. (b) 128-row tiles with 32 or 48 keys per tile
# against 64 (f32). (c) The churn bench at C=16384 with the warm-up before session 8 (--idle-warmup) and the
# busy one alternated in one call, nvidia-smi clocks alongside.
# Stage: webattn, libwebgpu_wrapper.so, ceilings.json, var9/, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
VARIANTS=var9
pf() { WEBATTN_KERNEL_DIR=$(kdir "$1") "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "${@:2}" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5, $6}' | tr '\n' '|'; }
{
for r in 1 2; do
  for v in base unpacked; do
    echo "r$r $v tx8 f16 $(pf $v --preset llama3-8b --prefill 1024,2048,512@3584 --dtype f16 --flash-threads-x 8)"
  done
done
echo "r1 base tx8 f32 $(pf base --preset llama3-8b --prefill 1024,2048,512@3584 --dtype f32 --flash-threads-x 8)"
for bc in 32 48 64; do
  echo "bc$bc tx8 f32 $(pf base --preset llama3-8b --prefill 1024,2048 --dtype f32 --flash-threads-x 8 --flash-keys-per-tile $bc)"
done
echo "bc32 tx8 f32 llama3.2-1b $(pf base --preset llama3.2-1b --prefill 2048 --dtype f32 --flash-threads-x 8 --flash-keys-per-tile 32)"
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,pstate,utilization.gpu,clocks_throttle_reasons.active,temperature.gpu,memory.used \
  --format=csv,noheader -lms 20 > "$out/smi-trace.csv" 2>&1 &
smi_pid=$!
mkdir -p "$out/tl"
{
for i in 1 2 3 4; do
  for mode in idle busy; do
    flag=""; [ $mode = idle ] && flag=--idle-warmup
    echo "$i $mode $("$bin/webattn" bench --preset llama3-8b --prefill 0 --decode 16384 --dtype f32 --algorithm split-kv --repeats 40 --churn-mib 2048 $flag --timeline "$out/tl/churn-$i-$mode.csv" 2>&1 | grep -E '^decode|rror' | awk '{print $2, $4, $5, $6, $7}')"
  done
done
} > "$out/churn.txt" 2>&1
cat "$out/churn.txt"
kill $smi_pid
gzip -f "$out/smi-trace.csv"
tar czf "$out/timelines.tar.gz" -C "$out" tl && rm -rf "$out/tl"
