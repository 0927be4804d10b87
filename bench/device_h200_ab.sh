#!/usr/bin/env bash
# H200 call of 2026-11-29 (first): the kernels after the hard-input fixes (issue #10) against
# the binary of 5c41fdd (before them), in the same call, one process per point; correctness
# on the GPU (check, hard-input / subgroup / plan / window suites); PyTorch's best backend.
# Stage: webattn (new), webattn-old (5c41fdd), webattn_tests, libwebgpu_wrapper.so,
# torch_sdpa.py and this script; there: bash .device/run.sh bash .device/bin/device_h200_ab.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
stamp() { echo "== $(date +%T) $*"; }
{
  stamp devices; "$bin/webattn" devices
  stamp probe; "$bin/webattn" probe --copy-mib 1024 --fma-iterations 8192 --repeats 20
  stamp check; "$bin/webattn" check --cases 30 2>&1 | tail -4
  stamp tests; "$bin/webattn_tests" --gtest_filter="${TESTS:-HardInputs.*:Subgroup*:Plan.*:Windows.*:Errors.*}" 2>&1 | grep -E "^\[ +(OK|FAILED|PASSED|SKIPPED) |tests ran|Failure|error" | head -80
  [ -x "$bin/webattn_long_tests" ] && { stamp long; "$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(OK|FAILED|PASSED|SKIPPED) |tests ran|Failure|rel" | head -40; }
} > "$out/probe-check-tests.txt" 2>&1
# A/B per point, alternating binaries, each point a fresh process.
{
  for C in ${DECODE:-512 4096 16384 32768 131072}; do
    for b in webattn webattn-old; do
      for dt in f32 f16; do
        r=$("$bin/$b" bench --preset llama3-8b --prefill 0 --decode $C --dtype $dt --algorithm split-kv --repeats 20 \
             --probe-mib 64 2>/dev/null | grep -E "^decode" | head -1)
        echo "$b $dt $r"
      done
    done
  done
  for C in ${PREFILL:-128 512 2048}; do
    for b in webattn webattn-old; do
      for dt in f32 f16; do
        r=$("$bin/$b" bench --preset llama3-8b --prefill $C --decode 0 --dtype $dt --algorithm flash-prefill --repeats 10 \
             --probe-mib 64 2>/dev/null | grep -E "^prefill" | head -1)
        echo "$b $dt $r"
      done
    done
  done
} > "$out/ab.txt" 2>&1
[ -n "${NO_TORCH:-}" ] || python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 128 --prefill 128,512,2048 \
  --decode 512,4096,16384,32768,131072 --chunked 3584:512,14336:2048 --json "$out/torch.json" > "$out/torch.txt" 2>&1
[ -n "${NO_TORCH:-}" ] || [ -n "${NO_TORCH:-}" ] || python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 64 --prefill 2048 --decode 0 >> "$out/torch.txt" 2>&1
tail -8 "$out/probe-check-tests.txt"; cat "$out/ab.txt"; tail -16 "$out/torch.txt"
