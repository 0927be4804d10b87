#!/usr/bin/env bash
# H200, 2026-11-30 (session 6), call 2: what the NVIDIA driver made of each kernel. The measurement layer
# bench/vkstats (VK_KHR_pipeline_executable_properties) records every compute pipeline's executable
# statistics and the SPIR-V Tint emitted, one folder per command; `bench` runs each point once.
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out/vk"
export WEBATTN_CEILINGS_FILE=$out/ceilings.json
cp "$bin/ceilings.json" "$WEBATTN_CEILINGS_FILE"
export VK_LAYER_PATH=$bin/vkstats VK_INSTANCE_LAYERS=VK_LAYER_WEBATTN_vkstats
run() {  # name, bench args...
  local name=$1; shift
  mkdir -p "$out/vk/$name"
  echo "== $name: webattn bench --repeats 5 $*"
  VKSTATS_DIR=$out/vk/$name "$bin/webattn" bench --repeats 5 "$@" 2>&1 | grep -E '^(decode|prefill|step)|rror'
  grep -v "^vkstats: device" "$out/vk/$name/stats.txt" | sed 's/^/   /'
}
{
run dec-f32 --preset llama3-8b --prefill 0 --decode 131072 --dtype f32 --algorithm split-kv
run dec-f16 --preset llama3-8b --prefill 0 --decode 131072 --dtype f16 --algorithm split-kv
run dec4096-f16 --preset llama3-8b --prefill 0 --decode 4096 --dtype f16 --algorithm split-kv
run pre-f32 --preset llama3-8b --prefill 2048 --dtype f32 --algorithm flash-prefill
run pre-f16 --preset llama3-8b --prefill 2048 --dtype f16 --algorithm flash-prefill
run pre-tiled --preset llama3-8b --prefill 2048 --dtype f32 --algorithm flash-prefill-tiled
run pre-3pass --preset llama3-8b --prefill 2048 --dtype f32 --algorithm three-pass
run d64 --preset llama3.2-1b --prefill 2048 --dtype f32 --algorithm flash-prefill
} > "$out/vkstats.txt" 2>&1
head -c 20000 "$out/vkstats.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
