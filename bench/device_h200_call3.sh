#!/usr/bin/env bash
# H200, 2026-11-29 (session 4), third call: (1) which part of the split-kv kernel made plain
# decode 2x slower than the H200 figures of commits before the ALiBi / mask merge (kernel
# variants from kvar-dec/: old = the kernel of eae22c2, noalibi, alibi_inline, il);
# (2) flash-prefill variants from kvar-prefill/; (3) correctness of the candidates on the
# GPU; (4) the time-varying slowdown: the long probe, then --placement with churn (the
# sequence that showed it in the first call), nvidia-smi sampling the SM clock every 20 ms
# throughout (smi-trace.csv, phases.txt).
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, kvar-dec/, kvar-prefill/, ceilings.json, this script.
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
export WEBATTN_CEILINGS_FILE=$out/ceilings.json
cp "$bin/ceilings.json" "$WEBATTN_CEILINGS_FILE"
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,pstate,utilization.gpu,temperature.gpu,clocks_throttle_reasons.active \
  --format=csv,noheader -lms 20 > "$out/smi-trace.csv" 2>&1 &
smi_pid=$!
mark() { echo "$(date -u +%s.%N) $*" >> "$out/phases.txt"; }
run() {  # label kernel_dir [webattn args]
  local label=$1 dir=$2; shift 2
  mark "begin $label"
  echo "$label $(WEBATTN_KERNEL_DIR=$dir "$bin/webattn" "$@" 2>&1 | grep -E "^decode|^prefill|rror" | tr '\n' '|')"
  mark "end $label"
}
{
  for C in 4096 32768 131072; do
    for dt in f32 f16; do
      for k in base old noalibi alibi_inline il; do
        d=""; [ "$k" = base ] || d="$bin/kvar-dec/$k"
        run "dec $k $dt $C" "$d" bench --preset llama3-8b --prefill 0 --algorithm split-kv --decode $C --dtype $dt \
          --warmup 20 --repeats 20
      done
    done
  done
} > "$out/decode.txt" 2>&1
{
  for S in 512 2048; do
    for k in base $(ls "$bin/kvar-prefill" 2>/dev/null); do
      d=""; [ "$k" = base ] || d="$bin/kvar-prefill/$k"
      [ "$k" = base ] || [ -f "$d/flash_prefill.wgsl" ] || continue
      run "pre $k f32 $S" "$d" bench --preset llama3-8b --decode 0 --algorithm flash-prefill --prefill $S --dtype f32 \
        --warmup 5 --repeats 10
    done
  done
} > "$out/prefill.txt" 2>&1
{
  for k in base alibi_inline il; do
    d=""; [ "$k" = base ] || d="$bin/kvar-dec/$k"
    echo "== check split-kv $k"; WEBATTN_KERNEL_DIR=$d "$bin/webattn" check --algorithm split-kv --cases 25 2>&1 | tail -1
  done
  for k in $(ls "$bin/kvar-prefill" 2>/dev/null); do
    [ -f "$bin/kvar-prefill/$k/flash_prefill.wgsl" ] || continue
    echo "== check flash-prefill $k"
    WEBATTN_KERNEL_DIR=$bin/kvar-prefill/$k "$bin/webattn" check --algorithm flash-prefill --cases 25 2>&1 | tail -1
    WEBATTN_KERNEL_DIR=$bin/kvar-prefill/$k "$bin/webattn" check --algorithm flash-prefill --fuzz 60 2>&1 | tail -1
  done
} > "$out/check.txt" 2>&1
cat "$out/decode.txt" "$out/prefill.txt" "$out/check.txt"
{
  mark "begin probe-long"
  "$bin/webattn" probe --copy-mib 1024 --fma-iterations 8192 --repeats 20 --no-save > /dev/null 2>&1
  mark "end probe-long"
  mark "begin placement-churn"
  "$bin/webattn" bench --preset llama3-8b --decode 16384 --dtype f16 --algorithm split-kv --placement 6 --rounds 3 \
    --repeats 10 --churn-mib 2048 2>&1 | grep -v "^\["
  mark "end placement-churn"
} > "$out/placement.txt" 2>&1
mark end
kill $smi_pid
grep -E "copy|spread" "$out/placement.txt"
