#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine if needed, builds webattn, and runs the main job:
# list the WebGPU adapters, measure the device, check every algorithm against the
# float64 reference, and benchmark llama3-8b attention shapes (a quick sweep sized for
# lavapipe; on a GPU run `build/webattn bench --preset llama3-8b --prefill 512,2048
# --decode 512,4096,16384` for the full one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j "$(nproc)"
w="$root/build/webattn"
"$w" devices
"$w" probe
"$w" check --cases 8 --head-dims 8,64
"$w" bench --preset llama3-8b --prefill 64,128 --decode 256,512 --repeats 3 --warmup 1 --batch 2
