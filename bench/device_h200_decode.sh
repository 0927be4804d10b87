#!/usr/bin/env bash
# H200, 2026-11-29 (session 3): split-kv decode with the cache update in the reduce pass
# (reduce) vs its own pass (separate), $WEBATTN_SPLIT_KV_UPDATE; optional kernel variants
# from kvar/ through $WEBATTN_KERNEL_DIR (VARIANTS="mode:variant ..."); one fresh process
# per point; the 32-layer model step; a split-workgroups sweep (SWEEP=1); correctness on the
# GPU for both update modes. (First call of the day, with an update fused into the split
# pass and a pipelined variant: bench/results/2026-11-29-h200/decode-fused-call.txt.)
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, kvar/, this script;
# there: bash .device/run.sh bash .device/bin/device_h200_decode.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
point() {  # mode kernel_dir dtype C [extra bench args]
  local mode=$1 dir=$2 dt=$3 C=$4; shift 4
  WEBATTN_SPLIT_KV_UPDATE=$mode WEBATTN_KERNEL_DIR=$dir "$bin/webattn" bench --preset llama3-8b --prefill 0 \
    --decode $C --dtype $dt --algorithm split-kv --repeats 20 "$@" 2>&1 | grep -E "^decode|rror" | head -1
}
"$bin/webattn" probe --copy-mib 1024 --fma-iterations 8192 --repeats 20 > "$out/probe.txt" 2>&1
{
  for C in ${DECODE:-512 4096 16384 32768 131072}; do
    for dt in f32 f16; do
      for v in ${VARIANTS:-separate:base reduce:base}; do
        mode=${v%%:*}; k=${v##*:}; d=""; [ "$k" = base ] || d="$bin/kvar/$k"
        echo "$mode $k $dt $(point $mode "$d" $dt $C)"
      done
    done
  done
} > "$out/decode.txt" 2>&1
{
  for mode in separate reduce; do
    for dt in f16 f32; do
      echo "$mode $dt $(WEBATTN_SPLIT_KV_UPDATE=$mode "$bin/webattn" bench --preset llama3-8b --decode 512,4096,32768 \
        --dtype $dt --layers model --repeats 20 2>&1 | grep -E "^step|^decode|rror" | tr '\n' '|')"
    done
  done
} > "$out/model-step.txt" 2>&1
[ -n "${SWEEP:-}" ] && {
  for C in 32768 131072; do
    for dt in ${SWEEP_DT:-f16}; do
      for wg in 256 512 1024 2048; do
        for k in ${SWEEP_K:-base}; do
          d=""; [ "$k" = base ] || d="$bin/kvar/$k"
          echo "reduce $k wg=$wg $dt $(point reduce "$d" $dt $C --split-workgroups $wg)"
        done
      done
    done
  done
} > "$out/sweep.txt" 2>&1
{
  for mode in reduce separate; do
    for k in ${CHECK_K:-base}; do
      d=""; [ "$k" = base ] || d="$bin/kvar/$k"
      echo "== check $mode $k"
      WEBATTN_SPLIT_KV_UPDATE=$mode WEBATTN_KERNEL_DIR=$d "$bin/webattn" check --algorithm split-kv --cases 25 2>&1 | tail -2
    done
  done
  echo "== tests"
  "$bin/webattn_tests" --gtest_filter="${TESTS:-SplitKv*:Modes/*:Subgroup*:Masking*:Plan*:SlidingWindow*:Sinks*:Lse*}" 2>&1 \
    | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -40
} > "$out/check.txt" 2>&1
tail -4 "$out/probe.txt"; cat "$out/decode.txt" "$out/model-step.txt" "$out/check.txt"; [ -f "$out/sweep.txt" ] && cat "$out/sweep.txt"
