#!/usr/bin/env bash
# H200, 2026-11-30 (session 6), last call: the final build. Probe (ceilings), correctness (check, fuzz,
# the variant / plan / hard-input suites, the long sums), split-kv decode one fresh process per point (and
# fresh vs after 2 GiB of churn), the 32-layer model step, prefill (incl. chunked, f16 cache, D 64), and
# PyTorch's CUDA SDPA (every backend) in the same call.
# Stage: webattn, webattn_tests, webattn_long_tests, libwebgpu_wrapper.so, torch_sdpa.py, this script;
# there: bash .device/run.sh bash .device/bin/device_h200_s6_final.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out" /tmp/js
w() { "$bin/webattn" "$@"; }
stamp() { echo "== $(date +%T) $*"; }
export WEBATTN_CEILINGS_FILE=$out/ceilings.json  # the probe saves its ceilings there for bench
# Later final calls run this script with other seeds and points (bench/device_h200_s7_final.sh); the
# defaults are session 6's.
check_seed=${CHECK_SEED:-151} fuzz_seed=${FUZZ_SEED:-153}
prefill=${PREFILL:-128,512,2048,512@3584,2048@14336} prefill_d64=${PREFILL_D64:-128,2048}
torch_prefill=${TORCH_PREFILL:-128,512,2048} torch_chunked=${TORCH_CHUNKED:-3584:512,14336:2048}
# PARTS: "check", "perf" or both (default): the two halves take ~6 and ~4 min on the H200, and one device
# command may run 10 min, so later final calls run them as two commands.
parts=${PARTS:-check perf}
prefill_d64_dtypes=${PREFILL_D64_DTYPES:---dtype f32}
if [[ " $parts " == *" check "* ]]; then
{
  stamp probe; w probe --json "$out/probe.json" 2>&1 | tail -8
  stamp check; w check --cases 30 --seed $check_seed 2>&1 | grep -v "^\[" | tail -3
  stamp fuzz; w check --fuzz 100 --seed $fuzz_seed 2>&1 | tr '\r' '\n' | grep -v "^\[[0-9]*/" | tail -6
  stamp tests; "$bin/webattn_tests" --gtest_filter='AllAlgorithms*:AllVariants*:Alibi*:Mask*:Sinks*:Softcap*:SlidingWindow*:Windows*:Lse*:F16Activations*:HardInputs*:ExtremeScores*:Masking*:Plan*:SplitKv*:EdgeShapes*:TiledPrefill*:Flash*:Sdpa*:Adversarial*' 2>&1 \
    | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -30
  stamp long; "$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |tests ran|Failure" | head -10
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
fi
[[ " $parts " == *" perf "* ]] || exit 0
[[ -f $WEBATTN_CEILINGS_FILE ]] || w probe --json "$out/probe.json" > "$out/probe.txt" 2>&1
{
  stamp decode
  for C in 512 4096 16384 32768 131072; do
    for dt in f32 f16; do
      w bench --preset llama3-8b --prefill 0 --decode $C --dtype $dt --algorithm split-kv --repeats 20 --json /tmp/js/decode-$C-$dt.json 2>&1 | grep -E '^decode|rror'
    done
  done
  stamp churn
  for C in 16384 131072; do
    for dt in f32 f16; do
      w bench --preset llama3-8b --prefill 0 --decode $C --dtype $dt --algorithm split-kv --repeats 20 --churn-mib 2048 2>&1 | grep -E -i 'churn|^decode|rror' | tail -3
    done
  done
  stamp model step
  w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 --json /tmp/js/model-step.json 2>&1 | grep -E "^step|rror"
  w bench --preset llama3-8b --decode 4096 --dtype f32 --layers model --repeats 20 2>&1 | grep -E "^step|rror"
  stamp prefill
  w bench --preset llama3-8b --decode 0 --prefill $prefill --dtype f32 --dtype f16 \
    --algorithm flash-prefill --repeats 10 --json /tmp/js/prefill.json 2>&1 | grep -E "^prefill|rror"
  w bench --preset llama3.2-1b --decode 0 --prefill $prefill_d64 $prefill_d64_dtypes --algorithm flash-prefill --repeats 10 2>&1 | grep -E "^prefill|rror"
  stamp torch
  python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 128 --prefill $torch_prefill \
    --decode 512,4096,16384,32768,131072 --chunked $torch_chunked --json /tmp/js/torch.json 2>&1 | grep -A40 -i "best"
  python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 64 --prefill $prefill_d64 --decode 0 --json /tmp/js/torch-d64.json 2>&1 | grep -A10 -i "best"
  stamp done
} > "$out/results.txt" 2>&1
tar -C /tmp/js -cf "$out/json.tar" .
cat "$out/results.txt"
