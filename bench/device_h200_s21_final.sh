#!/usr/bin/env bash
# H200, 2026-12-02 (session 21): the final table on main's build (session 6's final job, as
# device_h200_s18_final.sh, new seeds; llama3.2-1b at 512 too, both cache dtypes, for session 20's Q tile).
# Two device commands: PARTS=perf (probe, decode fresh and after churn, model step, prefill, PyTorch), then
# PARTS=check (check, fuzz, the suites, the long sums).
# Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/webattn_long_tests
#   build/libwebgpu_wrapper.so bench/torch_sdpa.py bench/device_h200_s6_final.sh bench/device_h200_s21_final.sh
# there: PARTS=perf bash .device/run.sh bash .device/bin/device_h200_s21_final.sh (then PARTS=check)
here=$(dirname "$0")
CHECK_SEED=2101 FUZZ_SEED=2103 \
  PREFILL=128,512,1024,2048,512@3584,2048@14336,32@4064 PREFILL_D64=128,512,1024,2048 \
  PREFILL_D64_DTYPES="--dtype f32 --dtype f16" \
  TORCH_PREFILL=128,512,1024,2048 TORCH_CHUNKED=3584:512,14336:2048,4064:32 \
  bash "$here/device_h200_s6_final.sh"
