#!/usr/bin/env bash
# Builds (setting up first if needed) and runs every test: GoogleTest suites on the
# local WebGPU adapter (lavapipe on a machine without a GPU), the CLI and installed-package
# tests, the reference-vs-PyTorch check, then the browser suite in headless Chromium
# (scripts/test-web.sh; it installs the web toolchain on first use). WEBATTN_NO_WEB=1 skips
# the browser part.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j "$(nproc)"
(cd "$root/build" && ctest --output-on-failure -j "$(nproc)")
if [ "${WEBATTN_NO_WEB:-0}" != 1 ]; then
  bash "$root/scripts/test-web.sh"
fi
