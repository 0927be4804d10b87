#!/usr/bin/env bash
# H200, 2026-11-30 (session 11), call 1: split-kv's subgroup form with the next block's K/V loads issued
# before the current block's arithmetic (PREFETCH) against without, both cache dtypes, alternated, one
# fresh process per point; keys per block with it; register counts; correctness. Then flash-prefill with
# its P.V sums accumulated straight into the running output (bench/prefill_runsum.py, variant "runsum")
# against the two-level sums: times, registers, accuracy.
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, vkstats/, var/runsum, ceilings.json, device_lib.sh,
# this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
w() { "$bin/webattn" "$@"; }
dec() { w bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
pre() { w bench --decode 0 --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|rror' | tr '\n' '|'; }
{
for pf in off on; do
  for dt in f32 f16; do
    echo "prefetch $pf $dt: $(stats pf-$pf-$dt env WEBATTN_SPLIT_KV_PREFETCH=$pf "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 4096 --dtype $dt --algorithm split-kv)"
  done
done
for v in base runsum; do
  echo "prefill $v: $(stats pre-$v env WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" bench --preset llama3-8b --repeats 1 --decode 0 --prefill 2048 --dtype f32 --algorithm flash-prefill)"
done
echo "check split-kv default: $(w check --algorithm split-kv --cases 24 --seed 1103 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -4)"
echo "check split-kv prefetch on: $(WEBATTN_SPLIT_KV_PREFETCH=on w check --algorithm split-kv --cases 24 --seed 1105 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -4)"
echo "check runsum: $(WEBATTN_KERNEL_DIR=$(kdir runsum) w check --algorithm flash-prefill --cases 40 --seed 1107 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -5)"
echo "check base: $(w check --algorithm flash-prefill --cases 40 --seed 1107 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -5)"
WEBATTN_SPLIT_KV_PREFETCH=on "$bin/webattn_tests" --gtest_filter='SplitKv*:HardInputs*:Mask*:ExtremeScores*:Sinks*:Alibi*:Softcap*:SlidingWindow*:Lse*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
for C in 512 4096 16384 32768 131072; do
  for dt in f16 f32; do
    for pf in off on off on; do
      echo "$pf $(WEBATTN_SPLIT_KV_PREFETCH=$pf dec --decode $C --dtype $dt)"
    done
  done
done
for ki in 4 16; do
  for C in 32768 131072; do
    echo "on keys $ki $(WEBATTN_SPLIT_KV_PREFETCH=on WEBATTN_SPLIT_KV_BLOCK_KEYS=$ki dec --decode $C --dtype f16)"
  done
done
for pf in off on; do
  echo "$pf $(WEBATTN_SPLIT_KV_PREFETCH=$pf w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
done
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"
{
for dt in f32 f16; do
  for S in 128 512 2048; do
    for v in base runsum base runsum; do echo "$v $(WEBATTN_KERNEL_DIR=$(kdir $v) pre --preset llama3-8b --prefill $S --dtype $dt)"; done
  done
done
for v in base runsum base runsum; do
  echo "$v 1b $(WEBATTN_KERNEL_DIR=$(kdir $v) pre --preset llama3.2-1b --prefill 2048 --dtype f32)"
  echo "$v chunked $(WEBATTN_KERNEL_DIR=$(kdir $v) pre --preset llama3-8b --prefill 512@3584,32@4064 --dtype f32)"
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
