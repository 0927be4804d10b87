#!/usr/bin/env bash
# H200, 2026-11-30 (session 9), call 1: split-kv decode's subgroup form (split_kv_decode_subgroup.wgsl:
# each subgroup walks its own key blocks, no barrier in the key loop; transposing butterfly for the q.k
# sums) against the tile form ($WEBATTN_SPLIT_KV_KERNEL=tiles) and a variant that loads the next block
# before this block's arithmetic (var/s9-prefetch), one fresh process per point, alternated; the
# split-kv target workgroup count for the subgroup form; the model step; correctness of the subgroup form
# there; register counts (bench/vkstats).
# Stage: webattn, webattn_tests, webattn_long_tests, libwebgpu_wrapper.so, vkstats/, var/, ceilings.json,
# device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
VARIANTS=var
w() { "$bin/webattn" "$@"; }
dec() { w bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
stats() {  # label, env..., -- bench args
  local d=$out/vk/$1; mkdir -p "$d"; shift
  env VKSTATS_DIR=$d VK_LAYER_PATH=$bin/vkstats VK_INSTANCE_LAYERS=VK_LAYER_WEBATTN_vkstats "$@" >/dev/null 2>&1
  grep -o 'Register Count=[0-9]*\|Local Memory Size=[0-9]*\|Shared Memory Size=[0-9]*' "$d/stats.txt" 2>/dev/null | paste -sd' '
}
{
echo "subgroup f32: $(stats sg32 "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 4096 --dtype f32 --algorithm split-kv)"
echo "subgroup f16: $(stats sg16 "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 4096 --dtype f16 --algorithm split-kv)"
echo "prefetch f32: $(stats pf32 env WEBATTN_KERNEL_DIR=$(kdir s9-prefetch) "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 4096 --dtype f32 --algorithm split-kv)"
echo "prefetch f16: $(stats pf16 env WEBATTN_KERNEL_DIR=$(kdir s9-prefetch) "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 4096 --dtype f16 --algorithm split-kv)"
} > "$out/regs.txt" 2>&1
cat "$out/regs.txt"
{
echo "check subgroup: $(w check --algorithm split-kv --cases 24 --seed 901 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
echo "check prefetch: $(WEBATTN_KERNEL_DIR=$(kdir s9-prefetch) w check --algorithm split-kv --cases 12 --seed 905 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
echo "fuzz: $(w check --fuzz 60 --seed 903 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
for C in 512 4096 16384 32768 131072; do
  for dt in f32 f16; do
    echo "tiles    $(WEBATTN_SPLIT_KV_KERNEL=tiles dec --decode $C --dtype $dt)"
    echo "subgroup $(dec --decode $C --dtype $dt --json $out/decode-$C-$dt.json)"
    echo "prefetch $(WEBATTN_KERNEL_DIR=$(kdir s9-prefetch) dec --decode $C --dtype $dt)"
  done
done
for C in 32768 131072; do
  for dt in f32 f16; do
    for n in 512 2048 4096; do echo "subgroup wg$n $(dec --decode $C --dtype $dt --split-workgroups $n)"; done
  done
done
echo "tiles    $(WEBATTN_SPLIT_KV_KERNEL=tiles w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
echo "subgroup $(w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
echo "subgroup $(w bench --preset llama3-8b --decode 4096 --dtype f32 --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
echo "tiles    $(WEBATTN_SPLIT_KV_KERNEL=tiles w bench --preset llama3.2-1b --prefill 0 --decode 4096,32768 --dtype f16 --algorithm split-kv --repeats 20 2>&1 | grep -E '^decode|rror' | tr '\n' '|')"
echo "subgroup $(w bench --preset llama3.2-1b --prefill 0 --decode 4096,32768 --dtype f16 --algorithm split-kv --repeats 20 2>&1 | grep -E '^decode|rror' | tr '\n' '|')"
} > "$out/perf.txt" 2>&1
cat "$out/perf.txt"
"$bin/webattn_tests" --gtest_filter='SplitKv*:Adversarial*:Plan*:HardInputs*:Windows*:Mask*:Sinks*:Lse*:Alibi*:Softcap*:SlidingWindow*:ExtremeScores*:F16Activations*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -12 > "$out/gtest.txt"
"$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |tests ran|Failure" | head -8 >> "$out/gtest.txt"
cat "$out/gtest.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
