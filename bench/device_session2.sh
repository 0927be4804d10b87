#!/usr/bin/env bash
# H100 job of 2026-11-25's second session (see ../shared/DEVICE.md and bench/RESULTS.md):
# correctness (check; the plan / embedding / windows / hard-input test suites, the embedding
# ones on a device the test creates itself), tuning, split-kv decode up to 131072 tokens,
# prefill, the decode loop example, and PyTorch's CUDA SDPA on the same shapes. Stage webattn, webattn_tests, decode_loop,
# libwebgpu_wrapper.so, torch_sdpa.py and this script; run there:
#   bash .device/run.sh bash .device/bin/device_session2.sh      (results under $OUT, 8 files)
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
w="$bin/webattn"
stamp() { echo "== $(date +%T) $*"; }
{
  stamp devices; "$w" devices
  stamp probe; "$w" probe
  stamp check; "$w" check --cases 40 2>/dev/null | tail -4
  stamp tests; "$bin/webattn_tests" --gtest_filter='Plan.*:Embed.*:Windows.*:HardInputs.*:Errors.*' 2>&1 | grep -E "^\[ +(OK|FAILED|PASSED|SKIPPED) |tests ran"
  stamp tune; "$w" tune --preset llama3-8b 2>&1 | tail -4
} > "$out/probe-check-tests.txt" 2>&1
decode="512 4096 16384 32768 65536 131072"
"$w" bench --preset llama3-8b --prefill 0 --decode $decode --dtype f32 f16 --algorithm split-kv --repeats 20 \
  --json "$out/bench-decode.json" > "$out/bench-decode.txt" 2>/dev/null
"$w" bench --preset llama3-8b --prefill 128 512 2048 --decode 0 --dtype f32 f16 --repeats 20 \
  --json "$out/bench-prefill.json" > "$out/bench-prefill.txt" 2>/dev/null
{
  stamp "decode_loop f32"; "$bin/decode_loop" --prompt 512 --steps 256
  stamp "decode_loop f16"; "$bin/decode_loop" --prompt 4096 --steps 256 --f16
} > "$out/decode-loop.txt" 2>&1
python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 128 --prefill 128,512,2048 \
  --decode 512,4096,16384,32768,131072 > "$out/torch.txt" 2>&1
tail -5 "$out/probe-check-tests.txt"; grep -E "^decode" "$out/bench-decode.txt"; tail -4 "$out/decode-loop.txt"; tail -12 "$out/torch.txt"
