#!/usr/bin/env bash
# H200, 2026-11-30 (session 8), call 4: the final build (busy warm-up; flash-prefill with 128-row tiles for long
# prompts and the f16 prefetch form by tile). Session 6's final job (device_h200_s6_final.sh: probe, correctness,
# decode fresh and after churn, the model step, prefill, PyTorch in the same call) with session 7's points and
# new seeds.
# Stage: webattn, webattn_tests, webattn_long_tests, libwebgpu_wrapper.so, torch_sdpa.py, both scripts;
# there: bash .device/run.sh bash .device/bin/device_h200_s8_final.sh
CHECK_SEED=841 FUZZ_SEED=843 \
  PREFILL=128,512,1024,2048,512@3584,2048@14336,32@4064,128@3968 PREFILL_D64=128,1024,2048 \
  TORCH_PREFILL=128,512,1024,2048 TORCH_CHUNKED=3584:512,14336:2048,4064:32,3968:128 \
  exec bash "$(dirname "$0")/device_h200_s6_final.sh"
