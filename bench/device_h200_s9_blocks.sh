#!/usr/bin/env bash
# H200, 2026-11-30 (session 9), call 3: split-kv's subgroup form with several sums per lane (VPL) and keys
# per block by bytes (kBlockBytesPerLane 128: f32 8 keys, f16 16 at D=128). Keys per block forced through
# $WEBATTN_SPLIT_KV_BLOCK_KEYS, alternated, one fresh process per point; register counts; correctness.
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, vkstats/, ceilings.json (call 2's probe),
# device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
w() { "$bin/webattn" "$@"; }
dec() { w bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
stats() {  # label, env..., -- command
  local d=$out/vk/$1; mkdir -p "$d"; shift
  env VKSTATS_DIR=$d VK_LAYER_PATH=$bin/vkstats VK_INSTANCE_LAYERS=VK_LAYER_WEBATTN_vkstats "$@" >/dev/null 2>&1
  grep -o 'Register Count=[0-9]*\|Local Memory Size=[0-9]*' "$d/stats.txt" 2>/dev/null | paste -sd' '
}
{
for k in 8 16 32; do
  echo "f16 keys $k: $(stats f16-$k env WEBATTN_SPLIT_KV_BLOCK_KEYS=$k "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 4096 --dtype f16 --algorithm split-kv)"
done
echo "f32 keys 16: $(stats f32-16 env WEBATTN_SPLIT_KV_BLOCK_KEYS=16 "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 4096 --dtype f32 --algorithm split-kv)"
echo "check: $(w check --algorithm split-kv --cases 24 --seed 921 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
echo "fuzz: $(w check --fuzz 60 --seed 923 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
"$bin/webattn_tests" --gtest_filter='SplitKv*:HardInputs*:Mask*:ExtremeScores*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
for C in 4096 16384 32768 131072; do
  for k in 16 8 32; do echo "f16 keys $k $(WEBATTN_SPLIT_KV_BLOCK_KEYS=$k dec --decode $C --dtype f16)"; done
  for k in 8 16; do echo "f32 keys $k $(WEBATTN_SPLIT_KV_BLOCK_KEYS=$k dec --decode $C --dtype f32)"; done
done
for k in 16 8; do
  echo "keys $k $(WEBATTN_SPLIT_KV_BLOCK_KEYS=$k w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
done
} > "$out/perf.txt" 2>&1
cat "$out/perf.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
