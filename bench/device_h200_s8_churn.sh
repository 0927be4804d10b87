#!/usr/bin/env bash
# H200, 2026-11-30 (session 8), call 1. (a) Issue #11 item 2, the after-churn slowdown that session 7 saw in 4
# of 12 runs: the same C=16384 churn bench as session 7's call 4, with --timeline (every submission's per-call
# time and UTC time, warm-ups included, plus allocation/churn events) while nvidia-smi samples clocks every
# 20 ms, so a slow median can be placed: slow throughout or at the start, with the clock or not. (b) flash-prefill
# variants: K/V prefetched in the cache's storage format, unpacked when stored (packed; the f16 cache's +7.7% at
# S=128), q of the next head-dim vec4 loaded before this one's FMAs (qpipe), both; and 128-row tiles (TX=8).
# Stage: webattn, libwebgpu_wrapper.so, ceilings.json, var8/ (variant kernels), device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
VARIANTS=var8
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,pstate,utilization.gpu,clocks_throttle_reasons.active,temperature.gpu,memory.used \
  --format=csv,noheader -lms 20 > "$out/smi-trace.csv" 2>&1 &
smi_pid=$!
mkdir -p "$out/tl"
{
for i in 1 2 3 4; do
  for dt in f32 f16; do
    echo "$i $dt $("$bin/webattn" bench --preset llama3-8b --prefill 0 --decode 16384 --dtype $dt --algorithm split-kv --repeats 40 --churn-mib 2048 --timeline "$out/tl/churn-$i-$dt.csv" 2>&1 | grep -E '^decode|rror' | awk '{print $2, $4, $5, $6, $7}')"
  done
done
} > "$out/churn.txt" 2>&1
cat "$out/churn.txt"
kill $smi_pid
{
for v in packed both; do
  echo "$v check: $(WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" check --algorithm flash-prefill --cases 12 --seed 811 2>&1 | tr '\r' '\n' | sed 's/\]\[/]\n[/g' | grep -E 'check:|FAIL' | head -3)"
done
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
pf() { WEBATTN_KERNEL_DIR=$(kdir "$1") "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "${@:2}" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5, $6}' | tr '\n' '|'; }
{
for r in 1 2; do
  for dt in f32 f16; do
    for v in base packed qpipe both; do
      echo "r$r $v $dt $(pf $v --preset llama3-8b --prefill 128,512,2048,32@4064 --dtype $dt)"
    done
  done
done
echo "tx8 f32 $(pf base --preset llama3-8b --prefill 512,2048 --dtype f32 --flash-threads-x 8)"
echo "tx8 f32 llama3.2-1b $(pf base --preset llama3.2-1b --prefill 2048 --dtype f32 --flash-threads-x 8)"
echo "base f32 llama3.2-1b $(pf base --preset llama3.2-1b --prefill 2048 --dtype f32)"
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
gzip -f "$out/smi-trace.csv"
tar czf "$out/timelines.tar.gz" -C "$out" tl && rm -rf "$out/tl"
