#!/usr/bin/env bash
# H200, 2026-11-30 (session 10), call 1: split-kv's subgroup form with lazy rescaling (the running max
# moves only when a score passes it by more than 8) against a rescale every block, alternated, one
# fresh process per point; its register counts and correctness; the same bytes read as one kv head
# (contiguous 256-byte rows) instead of 8 (rows 2 KiB apart); flash-prefill's stages left out or
# doubled (bench/prefill_ablation.py variants, wrong output, timing only).
# Stage: webattn, webattn_tests, webattn_long_tests, libwebgpu_wrapper.so, vkstats/, var/ (ablations),
# ceilings.json (session 9's probe), device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
w() { "$bin/webattn" "$@"; }
dec() { w bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
{
for r in always lazy; do
  for dt in f32 f16; do
    echo "$r $dt: $(stats $r-$dt env WEBATTN_SPLIT_KV_RESCALE=$r "$bin/webattn" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 4096 --dtype $dt --algorithm split-kv)"
  done
done
echo "check: $(w check --algorithm split-kv --cases 24 --seed 1011 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
echo "fuzz: $(w check --fuzz 60 --seed 1013 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
"$bin/webattn_tests" --gtest_filter='SplitKv*:HardInputs*:Mask*:ExtremeScores*:Sinks*:Alibi*:Softcap*:SlidingWindow*:Lse*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
"$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -4
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
for C in 512 4096 16384 32768 131072; do
  for dt in f32 f16; do
    for r in always lazy always lazy; do
      echo "$r $(WEBATTN_SPLIT_KV_RESCALE=$r dec --decode $C --dtype $dt)"
    done
  done
done
for r in always lazy; do
  echo "$r $(WEBATTN_SPLIT_KV_RESCALE=$r w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
done
# The same K/V bytes as llama3-8b at C=131072, read as one kv head (Hq 4): 256-byte (f16) / 512-byte
# (f32) rows contiguous, against 8 heads' rows 2 / 4 KiB apart.
for dt in f16 f32; do
  echo "1 kv head C=1048576 $(w bench --preset llama3-8b --heads 4 --kv-heads 1 --prefill 0 --repeats 20 --algorithm split-kv --decode 1048576 --dtype $dt 2>&1 | grep -E '^decode|rror')"
  echo "8 kv heads C=131072 $(dec --decode 131072 --dtype $dt)"
done
} > "$out/perf.txt" 2>&1
cat "$out/perf.txt"
{
for v in base noscore doublescore nopv doublepv noexp noload nobar base; do
  for S in 512 2048; do
    echo "$v $(WEBATTN_KERNEL_DIR=$(kdir $v) w bench --preset llama3-8b --decode 0 --repeats 10 --algorithm flash-prefill --dtype f32 --prefill $S 2>&1 | grep -E '^prefill|rror')"
  done
done
} > "$out/ablation.txt" 2>&1
cat "$out/ablation.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
