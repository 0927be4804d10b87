#!/usr/bin/env bash
# H200 results job of 2026-11-29 (see bench/RESULTS.md): probe (every kernel form), check,
# the hard-input / masking / subgroup / plan / window / long-sum suites, split-kv decode one
# process per context (fresh), prefill (every algorithm), and PyTorch's CUDA SDPA, every
# backend, in the same call. Stage webattn, webattn_tests, webattn_long_tests,
# libwebgpu_wrapper.so, torch_sdpa.py and this script; there:
#   bash .device/run.sh bash .device/bin/device_h200_results.sh      (results under $OUT, 8 files)
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out" /tmp/dec
w="$bin/webattn"
stamp() { echo "== $(date +%T) $*"; }
{
  stamp devices; "$w" devices
  stamp probe; "$w" probe --json "$out/probe.json"
  stamp check; "$w" check --cases 30 2>&1 | tail -3
  stamp tests; "$bin/webattn_tests" --gtest_filter='HardInputs.*:Subgroup*:Plan.*:Windows.*:Masking*:Extreme*:Validate*:Errors.*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -40
  stamp long; "$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |tests ran|Failure" | head -20
} > "$out/probe-check-tests.txt" 2>&1
{
  for C in 512 4096 16384 32768 131072; do
    "$w" bench --preset llama3-8b --decode $C --dtype f32 f16 --algorithm split-kv --repeats 20 \
       --json /tmp/dec/decode-$C.json 2>/dev/null | grep -E "^decode|ceiling|floor"
  done
} > "$out/decode.txt" 2>&1
tar -C /tmp/dec -cf "$out/decode-json.tar" .
"$w" bench --preset llama3-8b --prefill 128 512 2048 --dtype f32 f16 --repeats 10 --json "$out/prefill.json" \
  > "$out/prefill.txt" 2>/dev/null
"$w" bench --preset llama3.2-1b --prefill 2048 --dtype f32 --algorithm flash-prefill --repeats 10 >> "$out/prefill.txt" 2>/dev/null
python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 128 --prefill 128,512,2048 \
  --decode 512,4096,16384,32768,131072 --chunked 3584:512,14336:2048 --json "$out/torch.json" > "$out/torch.txt" 2>&1
python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 64 --prefill 2048 --decode 0 >> "$out/torch.txt" 2>&1
grep -E "copy|read|fma|FMA" "$out/probe-check-tests.txt" | head -8; tail -12 "$out/probe-check-tests.txt"
cat "$out/decode.txt"; grep -E "^prefill" "$out/prefill.txt"; grep -A30 "best backend" "$out/torch.txt"
