#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine if needed, builds webattn, and runs the main job:
# list the WebGPU adapters, check every algorithm against the float64 reference, and
# benchmark the llama3-8b attention shapes (a quick sweep; pass --full for all sizes).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j "$(nproc)"
"$root/build/webattn" devices
"$root/build/webattn" probe --copy-mib 64 --fma-iterations 512 --repeats 5
