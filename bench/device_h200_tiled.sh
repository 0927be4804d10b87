#!/usr/bin/env bash
# H200: flash-prefill-tiled (issue #12) against flash-prefill in the same binary, one process
# per point: llama3-8b heads (Hq 32, Hkv 8, D 128) prompts 128/512/2048 and chunks 512@3584,
# 2048@14336, llama3.2-1b heads (D 64) 2048, f32 and f16 caches; then a sweep of the tile
# tunables (rows x keys x head-dim chunk); the GPU check and the tiled test suite first.
# Builds nothing. Stage: webattn, webattn_tests and webattn_long_tests (optional), libwebgpu_wrapper.so and this
# script (../shared/device/stage.sh); there: bash .device/run.sh bash .device/bin/device_h200_tiled.sh
# Knobs: PREFILL (default "128,512,2048,512@3584,2048@14336"), SWEEP=0 skips the sweep,
# REPEATS (default 10).
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out/json"
stamp() { echo "== $(date +%T) $*"; }
reps=${REPEATS:-10}
points=${PREFILL:-128,512,2048,512@3584,2048@14336}
# One bench process: $1 = tag for the JSON file, the rest = bench arguments. Prints the rows.
one() {
  local tag=$1
  shift
  "$bin/webattn" bench --decode 0 --repeats "$reps" --json "$out/json/$tag.json" "$@" 2>&1 |
    grep -E "^prefill|rror|not run" | sed "s/^/$tag  /"
}
{
  stamp devices; "$bin/webattn" devices
  stamp probe; "$bin/webattn" probe 2>&1 | tail -6   # saves the ceilings every bench below reads
  stamp check; "$bin/webattn" check --algorithm flash-prefill-tiled --cases 40 --dtype f32 f16 2>&1 | tail -4
  stamp check-fuzz; "$bin/webattn" check --fuzz 100 --cases 0 --no-presets 2>&1 | tail -3
  if [ -x "$bin/webattn_tests" ]; then
    stamp tests; "$bin/webattn_tests" --gtest_filter="${TESTS:-TiledPrefill*:Sdpa/AllAlgorithms.*flash_prefill_tiled*:EdgeShapes.*:SlidingWindow*:Sinks*:Lse*:AllVariants.*:HardInputs.*:Plan*}" 2>&1 |
      grep -E "^\[ +(OK|FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -80
  fi
  if [ -x "$bin/webattn_long_tests" ]; then
    stamp long; "$bin/webattn_long_tests" --gtest_filter='*flash_prefill_tiled*' 2>&1 |
      grep -E "^\[ +(OK|FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -20
  fi
} > "$out/check-tests.txt" 2>&1
# A/B: every point of both algorithms in its own process, alternating.
{
  for dt in f32 f16; do
    for pt in ${points//,/ }; do
      for algo in flash-prefill flash-prefill-tiled; do
        one "ab-8b-$dt-$pt-$algo" --preset llama3-8b --prefill "$pt" --dtype "$dt" --algorithm "$algo"
      done
    done
    for pt in 128 512 2048; do
      for algo in flash-prefill flash-prefill-tiled; do
        one "ab-1b-$dt-$pt-$algo" --preset llama3.2-1b --prefill "$pt" --dtype "$dt" --algorithm "$algo"
      done
    done
  done
} > "$out/ab.txt" 2>&1
# Tile sweep (f32): every shape on the 8b prompts 512 and 2048 and the D64 prompt 2048.
# A shape the 48 KB cannot hold falls back to single buffers or a smaller tile.
if [ "${SWEEP:-1}" != 0 ]; then
  for rows in 64 128; do
    for keys in 32 64 128; do
      for dk in 4 8 16; do
        t="--tiled-rows $rows --tiled-keys $keys --tiled-dchunk $dk"
        one "sweep-8b-r${rows}k${keys}d${dk}" --preset llama3-8b --prefill 128,512,2048 --algorithm flash-prefill-tiled $t
        one "sweep-1b-r${rows}k${keys}d${dk}" --preset llama3.2-1b --prefill 2048 --algorithm flash-prefill-tiled $t
      done
    done
  done > "$out/sweep.txt" 2>&1
fi
tar -C "$out" -czf "$out/json.tar.gz" json && rm -rf "$out/json"
tail -8 "$out/check-tests.txt"; cat "$out/ab.txt"; [ -f "$out/sweep.txt" ] && sort -t' ' -k1,1 "$out/sweep.txt" | head -120
