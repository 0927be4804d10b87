#!/usr/bin/env bash
# H200, 2026-11-29 (session 4), last call: the build with ALiBi's slope / reference key as
# generated functions (literal zeros without ALiBi) and the flash-prefill kernel with the
# scale on the K tile and P stored as vec4 per key. Correctness (check, fuzz with every
# failing case printed, the variant suites), decode per call (fresh process per point),
# the 32-layer model step, prefill (incl. chunked, f16 cache, D64), variant cost.
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, ceilings.json, this script;
# there: bash .device/run.sh bash .device/bin/device_h200_final5.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
export WEBATTN_CEILINGS_FILE=$out/ceilings.json
cp "$bin/ceilings.json" "$WEBATTN_CEILINGS_FILE"
w() { "$bin/webattn" "$@"; }
{
  w check --cases 30 2>&1 | grep -v "^\[" | tail -3
  w check --fuzz 120 --seed 41 2>&1 | tr '\r' '\n' | grep -v "^\[[0-9]*/" | tail -12
  "$bin/webattn_tests" --gtest_filter='AllAlgorithms*:AllVariants*:Alibi*:Mask*:Sinks*:Softcap*:SlidingWindow*:Windows*:Lse*:F16Activations*:HardInputs*:ExtremeScores*:Masking*:Plan*:SplitKv*:EdgeShapes*:TiledPrefill*:Flash*:Sdpa*' 2>&1 \
    | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -30
} > "$out/check.txt" 2>&1
{
  for C in 512 4096 16384 32768 131072; do
    for dt in f32 f16; do
      w bench --preset llama3-8b --prefill 0 --decode $C --dtype $dt --algorithm split-kv --repeats 20 --json "$out/decode-$C-$dt.json" 2>&1 | grep -E '^decode|rror'
    done
  done
} > "$out/decode.txt" 2>&1
{
  w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 --json "$out/model-step.json" 2>&1 | grep -E "^step|rror"
  w bench --preset llama3-8b --decode 4096 --dtype f32 --layers model --repeats 20 2>&1 | grep -E "^step|rror"
} > "$out/model-step.txt" 2>&1
{
  w bench --preset llama3-8b --decode 0 --prefill 128,512,2048,512@3584,2048@14336 --dtype f32 --dtype f16 \
    --algorithm flash-prefill --repeats 10 --json "$out/prefill.json" 2>&1 | grep -E "^prefill|rror"
  w bench --preset llama3.2-1b --decode 0 --prefill 2048 --dtype f32 --algorithm flash-prefill --repeats 10 2>&1 | grep -E "^prefill|rror"
} > "$out/prefill.txt" 2>&1
{
  for v in "--alibi" "--softcap 50" "--mask additive"; do
    echo "$v: $(w bench --preset llama3-8b --prefill 512 --decode 32768 --dtype f32 --algorithm split-kv --algorithm flash-prefill \
      --repeats 10 $v 2>&1 | grep -E '^decode +[0-9]+ split|^prefill +[0-9]+ flash' | tr '\n' '|')"
  done
} > "$out/variants.txt" 2>&1
cat "$out/check.txt" "$out/decode.txt" "$out/model-step.txt" "$out/prefill.txt" "$out/variants.txt"
