#!/usr/bin/env bash
# Issue #12 item 4, feasibility: does the bundled Dawn (libwebgpu_wrapper.so, bun-webgpu 0.1.7:
# Dawn of 2025-06-18..27, see src/gpu/webgpu_abi.h) offer chromium-experimental-subgroup-matrix
# on the H200 with the allow_unsafe_apis (+ use_vulkan_memory_model) toggles, which
# configurations does it report, and do subgroup-matrix kernels compute the right product?
# Verified on lavapipe only before this run (feature absent there; ABI values confirmed by
# Dawn's own refusal messages; the kernels compile on Dawn's Null backend).
# Note: this Dawn's API has no u8 / i8 component types (added 2025-06-30), so its Vulkan
# backend drops NVIDIA's int8 cooperative-matrix configurations; expect f16 ones, if any. The
# i8 x i8 -> i32 M16 N16 K32 kernel is tried anyway (both readings of its stride).
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, this script;
# there: bash .device/run.sh bash .device/bin/device_h200_sgm.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
{
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | head -2
  "$bin/webattn" devices --unsafe-features --json "$out/devices-unsafe.json"
  echo "exit code: $?"
} > "$out/devices-unsafe.txt" 2>&1
{  # one process per part: a driver crash in one leaves the others' results
  for f in 'SubgroupMatrixAbi*:SubgroupMatrixKernel.Compiles*' 'SubgroupMatrixKernel.EveryReported*' \
    'SubgroupMatrixKernel.Int8*'; do
    "$bin/webattn_tests" --gtest_filter="$f"
    echo "exit code ($f): $?"
  done
} > "$out/gtest-sgm.txt" 2>&1
# Dawn's own view of the Vulkan device's cooperative-matrix support, when vulkaninfo exists.
if command -v vulkaninfo >/dev/null; then
  vulkaninfo 2>/dev/null | grep -i -A3 -E 'cooperative_?matrix|VkCooperativeMatrixProperties|vulkanMemoryModel|computeFullSubgroups' \
    | head -120 > "$out/vulkaninfo-coopmat.txt"
fi
cat "$out/devices-unsafe.txt" "$out/gtest-sgm.txt"
