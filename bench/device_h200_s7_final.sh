#!/usr/bin/env bash
# H200, 2026-11-30 (session 7), call 3: the final build. Session 6's final job (device_h200_s6_final.sh: probe,
# correctness, decode fresh and after churn, the model step, prefill, PyTorch in the same call) with new seeds
# and more prefill points (S=C=1024, short chunks on a long context: 32@4064, 128@3968).
# Stage: webattn, webattn_tests, webattn_long_tests, libwebgpu_wrapper.so, torch_sdpa.py, both scripts;
# there: bash .device/run.sh bash .device/bin/device_h200_s7_final.sh
CHECK_SEED=241 FUZZ_SEED=243 \
  PREFILL=128,512,1024,2048,512@3584,2048@14336,32@4064,128@3968 PREFILL_D64=128,1024,2048 \
  TORCH_PREFILL=128,512,1024,2048 TORCH_CHUNKED=3584:512,14336:2048,4064:32,3968:128 \
  exec bash "$(dirname "$0")/device_h200_s6_final.sh"
