#!/usr/bin/env bash
# H200, 2026-11-30 (session 11), call 4: split-kv's subgroup form with key groups (KG > 1: the 32 lanes split
# into KG groups of 32 / KG, each taking its own keys of a block; sums over the group; the groups'
# accumulators added at the chunk's end) against KG = 1, both cache dtypes, one fresh process per point,
# alternated; llama3.2-1b (D 64, where KG = 1 cannot run: the tile form) with KG = 2 / 4; registers;
# correctness. Stage: webattn, webattn_tests, libwebgpu_wrapper.so, vkstats/, ceilings.json, device_lib.sh,
# this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
w() { "$bin/webattn" "$@"; }
dec() { w bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
{
for kg in 1 2 4; do
  echo "kg $kg f16: $(stats kg$kg-f16 env WEBATTN_SPLIT_KV_KEY_GROUPS=$kg "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 32768 --dtype f16 --algorithm split-kv)"
done
echo "kg 2 f32: $(stats kg2-f32 env WEBATTN_SPLIT_KV_KEY_GROUPS=2 "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 32768 --dtype f32 --algorithm split-kv)"
echo "1b kg 2 f16: $(stats 1b-kg2-f16 env WEBATTN_SPLIT_KV_KEY_GROUPS=2 "$bin/webattn" bench --preset llama3.2-1b --repeats 1 --prefill 0 --decode 32768 --dtype f16 --algorithm split-kv)"
echo "check kg 2: $(WEBATTN_SPLIT_KV_KEY_GROUPS=2 w check --algorithm split-kv --cases 24 --seed 1121 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -4)"
echo "check kg 4: $(WEBATTN_SPLIT_KV_KEY_GROUPS=4 w check --algorithm split-kv --cases 24 --seed 1123 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -4)"
"$bin/webattn_tests" --gtest_filter='SplitKvSubgroup*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
for C in 4096 16384 32768 131072; do
  for kg in 1 2 4 1 2 4; do echo "f16 kg $kg $(WEBATTN_SPLIT_KV_KEY_GROUPS=$kg dec --preset llama3-8b --decode $C --dtype f16)"; done
done
for C in 32768 131072; do
  for pf in off on; do echo "f16 kg 2 prefetch $pf $(WEBATTN_SPLIT_KV_KEY_GROUPS=2 WEBATTN_SPLIT_KV_PREFETCH=$pf dec --preset llama3-8b --decode $C --dtype f16)"; done
done
for C in 16384 131072; do
  for kg in 1 2 1 2; do echo "f32 kg $kg $(WEBATTN_SPLIT_KV_KEY_GROUPS=$kg dec --preset llama3-8b --decode $C --dtype f32)"; done
done
for dt in f16 f32; do
  for C in 4096 32768; do
    for v in tiles 2 4 tiles 2 4; do
      if [ $v = tiles ]; then echo "1b $dt tiles $(dec --preset llama3.2-1b --decode $C --dtype $dt)"
      else echo "1b $dt kg $v $(WEBATTN_SPLIT_KV_KEY_GROUPS=$v dec --preset llama3.2-1b --decode $C --dtype $dt)"; fi
    done
  done
done
for kg in 1 2; do
  echo "step kg $kg $(WEBATTN_SPLIT_KV_KEY_GROUPS=$kg w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
done
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
