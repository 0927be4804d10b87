#!/usr/bin/env bash
# H200, 2026-11-30 (session 8), call 2. (a) The churn bench again with the busy warm-up (untimed calls queued
# ahead of each warm-up submission): C=16384 four rounds and C=4096 two, both dtypes, --timeline and nvidia-smi
# clocks every 20 ms as in call 1. (b) flash-prefill with f16 K/V prefetched packed (now the kernel) and
# 128-row tiles (TX=8) against 64-row ones (TX=16) across prompt lengths, chunked prefill and D 64, one process
# per (tile, shape group), alternated, two rounds; checks with TX=8 forced and with the rule.
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, ceilings.json, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,pstate,utilization.gpu,clocks_throttle_reasons.active,temperature.gpu,memory.used \
  --format=csv,noheader -lms 20 > "$out/smi-trace.csv" 2>&1 &
smi_pid=$!
mkdir -p "$out/tl"
churn() {  # round C dtype
  echo "$1 $2 $3 $("$bin/webattn" bench --preset llama3-8b --prefill 0 --decode $2 --dtype $3 --algorithm split-kv --repeats 40 --churn-mib 2048 --timeline "$out/tl/churn-$1-$2-$3.csv" 2>&1 | grep -E '^decode|rror' | awk '{print $4, $5, $6, $7}')"
}
{
for i in 1 2 3 4; do for dt in f32 f16; do churn $i 16384 $dt; done; done
for i in 1 2; do for dt in f32 f16; do churn $i 4096 $dt; done; done
} > "$out/churn.txt" 2>&1
cat "$out/churn.txt"
kill $smi_pid
{
echo "tx8 check: $(WEBATTN_FLASH_THREADS_X=8 "$bin/webattn" check --algorithm flash-prefill --cases 12 --seed 821 2>&1 | tr '\r' '\n' | sed 's/\]\[/]\n[/g' | grep -E 'check:|FAIL' | head -3)"
echo "rule check: $("$bin/webattn" check --algorithm flash-prefill --cases 12 --seed 823 2>&1 | tr '\r' '\n' | sed 's/\]\[/]\n[/g' | grep -E 'check:|FAIL' | head -3)"
"$bin/webattn_tests" --gtest_filter='Flash*:Plan*:Algorithms*:HardInputs*:Adversarial*:Masking*:Sinks*:SlidingWindow*:Sdpa/*:F16Activations*:EdgeShapes*:Errors*' 2>&1 | grep -E "^\[ +(PASSED|FAILED) |Failure|tests ran" | head -8
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
pf() { "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5, $6}' | tr '\n' '|'; }
{
for r in 1 2; do
  for tx in 16 8; do
    echo "r$r tx$tx 8b f32 $(pf --preset llama3-8b --prefill 512,768,1024,1536,2048,512@3584,2048@14336 --dtype f32 --flash-threads-x $tx)"
    echo "r$r tx$tx 8b f16 $(pf --preset llama3-8b --prefill 128,512,1024,2048,32@4064 --dtype f16 --flash-threads-x $tx)"
    echo "r$r tx$tx 1b f32 $(pf --preset llama3.2-1b --prefill 512,1024,2048 --dtype f32 --flash-threads-x $tx)"
  done
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
gzip -f "$out/smi-trace.csv"
tar czf "$out/timelines.tar.gz" -C "$out" tl && rm -rf "$out/tl"
