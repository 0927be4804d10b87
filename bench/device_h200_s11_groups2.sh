#!/usr/bin/env bash
# H200, 2026-11-30 (session 11), call 5: call 4 again with the right CLI (call 4's webattn binary was stale: a
# `make webattn` builds the library, not the CLI, so its key-group switch had no effect and its decode ran
# PREFETCH at every f16 context). Key groups (KG) against KG = 1; llama3.2-1b (D 64) with KG = 2 / 4 against
# the tile form; then the decode table's points with the landed defaults (PREFETCH from 6 blocks per
# subgroup), the model step, correctness with key groups.
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, vkstats/, ceilings.json, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
w() { "$bin/webattn" "$@"; }
dec() { w bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
{
echo "kg 2 f16: $(stats kg2-f16 env WEBATTN_SPLIT_KV_KEY_GROUPS=2 "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 32768 --dtype f16 --algorithm split-kv)"
echo "1b kg 2 f16: $(stats 1b-kg2-f16 env WEBATTN_SPLIT_KV_KEY_GROUPS=2 "$bin/webattn" bench --preset llama3.2-1b --repeats 1 --prefill 0 --decode 32768 --dtype f16 --algorithm split-kv)"
echo "check kg 2: $(WEBATTN_SPLIT_KV_KEY_GROUPS=2 w check --algorithm split-kv --cases 16 --seed 1131 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -4)"
"$bin/webattn_tests" --gtest_filter='SplitKvSubgroup*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
for C in 32768 131072; do
  for kg in 1 2 4 1 2 4; do echo "f16 kg $kg $(WEBATTN_SPLIT_KV_KEY_GROUPS=$kg dec --preset llama3-8b --decode $C --dtype f16)"; done
done
for dt in f16 f32; do
  for C in 4096 32768; do
    for v in tiles 2 4; do
      if [ $v = tiles ]; then echo "1b $dt tiles $(dec --preset llama3.2-1b --decode $C --dtype $dt)"
      else echo "1b $dt kg $v $(WEBATTN_SPLIT_KV_KEY_GROUPS=$v dec --preset llama3.2-1b --decode $C --dtype $dt)"; fi
    done
  done
done
echo "== defaults"
for C in 512 4096 8192 12288 16384 32768 131072; do
  for dt in f32 f16; do echo "$(dec --preset llama3-8b --decode $C --dtype $dt)"; done
done
w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror'
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
