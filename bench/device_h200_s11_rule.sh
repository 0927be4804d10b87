#!/usr/bin/env bash
# H200, 2026-11-30 (session 11), call 2: where split-kv's PREFETCH starts to pay with the f16 cache (C=8192:
# 4 blocks per subgroup, between call 1's loss at 4096 and gain at 16384); f32 with PREFETCH and 4 keys per
# block (its registers those of 8 keys without); f16 with PREFETCH at other workgroup targets; one fresh
# process per point, variants alternated. Stage: webattn, libwebgpu_wrapper.so, vkstats/, ceilings.json,
# device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
w() { "$bin/webattn" "$@"; }
dec() { w bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
{
echo "f32 prefetch keys 4: $(stats f32-pf-k4 env WEBATTN_SPLIT_KV_PREFETCH=on WEBATTN_SPLIT_KV_BLOCK_KEYS=4 "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 16384 --dtype f32 --algorithm split-kv)"
for C in 8192 12288; do
  for pf in off on off on; do echo "f16 $pf $(WEBATTN_SPLIT_KV_PREFETCH=$pf dec --decode $C --dtype f16)"; done
done
for C in 16384 32768 131072; do
  for v in "off 8" "on 4" "off 8" "on 4"; do
    set -- $v
    echo "f32 prefetch $1 keys $2 $(WEBATTN_SPLIT_KV_PREFETCH=$1 WEBATTN_SPLIT_KV_BLOCK_KEYS=$2 dec --decode $C --dtype f32)"
  done
done
for C in 32768 131072; do
  for t in 512 384 768 512 384 768; do
    echo "f16 default target $t $(dec --decode $C --dtype f16 --split-workgroups $t)"
  done
done
for i in 1 2; do
  echo "default $(w bench --preset llama3-8b --decode 512,4096,16384,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
done
} > "$out/rule.txt" 2>&1
cat "$out/rule.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
