#!/usr/bin/env bash
# The whole GPU-machine job in one call (see ../shared/DEVICE.md and bench/RESULTS.md):
# adapter list, probe, correctness check, tuning, both presets' benchmarks (all algorithms;
# long contexts with split-kv only), and PyTorch's CUDA SDPA on the same shapes.
# Usage there: bash .device/run.sh bash .device/bin/device_run.sh   (results under $OUT;
# the device tool returns at most 8 files, so outputs are grouped)
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
w="$bin/webattn"
{
  "$w" devices
  "$w" probe   # every form tried is printed; bench and tune reuse the saved ceilings
  "$w" check --cases ${CHECK_CASES:-40} 2>/dev/null | tail -3
  "$w" tune --preset llama3-8b 2>&1   # the benches below use what it saves
} > "$out/device-probe-check.txt" 2>&1
for preset in llama3-8b llama3.2-1b; do
  "$w" bench --preset $preset --prefill 128,512,2048 --decode 512,4096,16384 --dtype f32 f16 --repeats 20 \
     --json "$out/bench-$preset.json" 2>/dev/null > "$out/bench-$preset.txt"
done
"$w" bench --preset llama3-8b --prefill 0 --decode 32768,65536,131072 --dtype f32 f16 --algorithm split-kv \
   --repeats 20 --json "$out/bench-long.json" 2>/dev/null > "$out/bench-long.txt"
{
  python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 128
  python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 64
} > "$out/torch.txt" 2>&1
cat "$out/device-probe-check.txt" "$out/bench-llama3-8b.txt" "$out/bench-long.txt" "$out/torch.txt"
