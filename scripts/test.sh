#!/usr/bin/env bash
# Builds (setting up first if needed) and runs every test: GoogleTest suites on the
# local WebGPU adapter (lavapipe on a machine without a GPU) and the reference-vs-PyTorch check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j "$(nproc)"
cd "$root/build"
ctest --output-on-failure -j "$(nproc)"
