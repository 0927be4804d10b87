#!/usr/bin/env bash
# H200, 2026-12-01 (session 17), call 2: main's build at the end of the session (kernels as landed in sessions 14-16;
# split-kv's chunk count by runs, the binding-count checks). Session 6's final job (device_h200_s6_final.sh:
# probe, correctness, decode fresh and after churn, the 32-layer model step, prefill incl. chunked, the f16
# cache and D 64, PyTorch's CUDA SDPA in the same call) with new seeds and session 9's points.
# Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/webattn_long_tests
#   build/libwebgpu_wrapper.so bench/torch_sdpa.py bench/device_h200_s6_final.sh bench/device_h200_s17_final.sh
# there: bash .device/run.sh bash .device/bin/device_h200_s17_final.sh
here=$(dirname "$0")
CHECK_SEED=1701 FUZZ_SEED=1703 \
  PREFILL=128,512,1024,2048,512@3584,2048@14336,32@4064,128@3968 PREFILL_D64=128,1024,2048 \
  TORCH_PREFILL=128,512,1024,2048 TORCH_CHUNKED=3584:512,14336:2048,4064:32,3968:128 \
  bash "$here/device_h200_s6_final.sh"
