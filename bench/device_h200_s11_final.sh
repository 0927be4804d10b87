#!/usr/bin/env bash
# H200, 2026-11-30 (session 11), the final call: the final build (split-kv's subgroup form with PREFETCH for
# the f16 cache at long contexts). Session 6's final job (device_h200_s6_final.sh: probe, correctness, decode
# fresh and after churn, the model step, prefill, PyTorch in the same call) with new seeds, then f16 decode
# at 8192 / 12288 and the model step at 16384.
# Stage: webattn, webattn_tests, webattn_long_tests, libwebgpu_wrapper.so, torch_sdpa.py,
# device_h200_s6_final.sh, this script; there: bash .device/run.sh bash .device/bin/device_h200_s11_final.sh
here=$(dirname "$0")
CHECK_SEED=1111 FUZZ_SEED=1113 \
  PREFILL=128,512,1024,2048,512@3584,2048@14336,32@4064,128@3968 PREFILL_D64=128,1024,2048 \
  TORCH_PREFILL=128,512,1024,2048 TORCH_CHUNKED=3584:512,14336:2048,4064:32,3968:128 \
  bash "$here/device_h200_s6_final.sh"
out=${OUT:-/tmp/out}
export WEBATTN_CEILINGS_FILE=$out/ceilings.json
{
  "$here/webattn" bench --preset llama3-8b --prefill 0 --decode 8192,12288 --dtype f16 --algorithm split-kv --repeats 20 2>&1 | grep -E '^decode|rror'
  "$here/webattn" bench --preset llama3-8b --decode 16384 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror'
  "$here/webattn" bench --preset llama3.2-1b --prefill 0 --decode 4096,32768 --dtype f16 --algorithm split-kv --repeats 20 2>&1 | grep -E '^decode|rror'
} > "$out/extra.txt" 2>&1
cat "$out/extra.txt"
