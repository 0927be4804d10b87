#!/usr/bin/env bash
# H200, 2026-12-01 (session 18), call 3: main's build with flash-prefill's fused cache update (input_pos 0,
# by the rule). Session 6's final job (device_h200_s6_final.sh: probe, correctness incl. the FlashPrefillUpdate
# suite, decode fresh and after churn, the 32-layer model step, prefill incl. chunked, the f16 cache and D 64,
# PyTorch's CUDA SDPA in the same call) with new seeds and session 17's points less 128 tokens at 3968.
# Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/webattn_long_tests
#   build/libwebgpu_wrapper.so bench/torch_sdpa.py bench/device_h200_s6_final.sh bench/device_h200_s18_final.sh
# there: bash .device/run.sh bash .device/bin/device_h200_s18_final.sh
here=$(dirname "$0")
CHECK_SEED=1811 FUZZ_SEED=1813 \
  PREFILL=128,512,1024,2048,512@3584,2048@14336,32@4064 PREFILL_D64=128,1024,2048 \
  TORCH_PREFILL=128,512,1024,2048 TORCH_CHUNKED=3584:512,14336:2048,4064:32 \
  bash "$here/device_h200_s6_final.sh"
