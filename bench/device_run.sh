#!/usr/bin/env bash
# One call on the GPU machine (see ../shared/DEVICE.md): adapter list, probe, correctness
# check, both presets' benchmarks, and PyTorch's CUDA SDPA on the same shapes.
# Usage there: bash .device/run.sh bash .device/bin/device_run.sh   (results under $OUT)
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
w="$bin/webattn"
"$w" devices --json "$out/devices.json" 2>&1 | tee "$out/devices.txt"
"$w" probe --copy-mib 1024 --fma-iterations 8192 --repeats 20 --json "$out/probe.json" 2>&1 | tee "$out/probe.txt"
"$w" check --cases ${CHECK_CASES:-40} 2>&1 | tail -5 | tee "$out/check.txt"
for preset in llama3-8b llama3.2-1b; do
  "$w" bench --preset $preset --prefill ${PREFILL:-128,512,2048} --decode ${DECODE:-512,4096,16384} \
     --dtype f32 f16 --repeats 30 --probe-mib 1024 --json "$out/bench-$preset.json" 2>/dev/null | tee "$out/bench-$preset.txt"
done
python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 128 --json "$out/torch-llama3-8b.json" 2>&1 | tee "$out/torch.txt"
python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 64 --json "$out/torch-llama3.2-1b.json" 2>&1 | tee -a "$out/torch.txt"
