#!/usr/bin/env bash
# H200, 2026-11-29 (session 3): split-kv decode with the cache update fused into the split
# pass vs the separate update pass ($WEBATTN_SPLIT_KV_UPDATE), each with today's kernel
# and with the software-pipelined variant kvar/sk_pf (next tile's loads issued before the
# current tile is computed; loaded through $WEBATTN_KERNEL_DIR); one fresh process per
# point; then a split-workgroups sweep; then correctness on the GPU for both update modes.
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
      for v in ${VARIANTS:-separate:base fused:base fused:sk_pf separate:sk_pf}; do
        mode=${v%%:*}; k=${v##*:}; d=""; [ "$k" = base ] || d="$bin/kvar/$k"
        echo "$mode $k $dt $(point $mode "$d" $dt $C)"
      done
    done
  done
} > "$out/decode.txt" 2>&1
{
  for C in 32768 131072; do
    for dt in ${SWEEP_DT:-f16}; do
      for wg in 256 512 1024 2048; do
        for k in ${SWEEP_K:-base sk_pf}; do
          d=""; [ "$k" = base ] || d="$bin/kvar/$k"
          echo "fused $k wg=$wg $dt $(point fused "$d" $dt $C --split-workgroups $wg)"
        done
      done
    done
  done
} > "$out/sweep.txt" 2>&1
{
  for mode in fused separate; do
    for k in base sk_pf; do
      d=""; [ "$k" = base ] || d="$bin/kvar/$k"
      echo "== check $mode $k"
      WEBATTN_SPLIT_KV_UPDATE=$mode WEBATTN_KERNEL_DIR=$d "$bin/webattn" check --algorithm split-kv --cases 25 2>&1 | tail -2
    done
  done
  echo "== tests"
  "$bin/webattn_tests" --gtest_filter="${TESTS:-SplitKv*:Modes/*:Subgroup*:Masking*:Plan*:SlidingWindow*:Sinks*:Lse*}" 2>&1 \
    | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -40
} > "$out/check.txt" 2>&1
cat "$out/probe.txt" | tail -4; cat "$out/decode.txt" "$out/sweep.txt" "$out/check.txt"
