#!/usr/bin/env bash
# H200, 2026-11-30 (session 10), call 2: flash-prefill's probabilities by subgroup shuffle (P_SHUFFLE: no P
# tile in workgroup memory, so 64 keys per tile fit at D=128) against the P tile, alternated, one fresh
# process per point; keys per tile forced to separate the two effects; register counts; correctness.
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, vkstats/, ceilings.json, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
w() { "$bin/webattn" "$@"; }
pre() { w bench --preset llama3-8b --decode 0 --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|rror'; }
{
for pm in memory shuffle; do
  for S in 128 2048; do
    echo "$pm S=$S: $(stats $pm-$S env WEBATTN_FLASH_P=$pm "$bin/webattn" bench --preset llama3-8b --repeats 1 --decode 0 --prefill $S --dtype f32 --algorithm flash-prefill)"
  done
done
echo "check shuffle: $(WEBATTN_FLASH_P=shuffle w check --algorithm flash-prefill --cases 16 --seed 1031 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -4)"
echo "check shuffle tx8: $(WEBATTN_FLASH_P=shuffle WEBATTN_FLASH_THREADS_X=8 w check --algorithm flash-prefill --cases 12 --seed 1033 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -4)"
"$bin/webattn_tests" --gtest_filter='Flash*:HardInputs*:Mask*:ExtremeScores*:Sinks*:Alibi*:Softcap*:SlidingWindow*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
for dt in f32 f16; do
  for S in 128 512 1024 2048; do
    for pm in memory shuffle memory shuffle; do echo "$pm $(WEBATTN_FLASH_P=$pm pre --prefill $S --dtype $dt)"; done
  done
done
for pm in memory shuffle; do
  echo "$pm $(WEBATTN_FLASH_P=$pm w bench --preset llama3-8b --decode 0 --repeats 10 --algorithm flash-prefill --prefill 512@3584,2048@14336 --dtype f32 2>&1 | grep -E '^prefill|rror' | tr '\n' '|')"
  echo "$pm 1b $(WEBATTN_FLASH_P=$pm w bench --preset llama3.2-1b --decode 0 --repeats 10 --algorithm flash-prefill --prefill 512,2048 --dtype f32 2>&1 | grep -E '^prefill|rror' | tr '\n' '|')"
done
for bc in 32 48 64; do
  echo "shuffle keys $bc $(WEBATTN_FLASH_P=shuffle pre --prefill 2048 --dtype f32 --flash-keys-per-tile $bc)"
done
for tx in 16 8; do
  for pm in memory shuffle; do echo "tx$tx $pm $(WEBATTN_FLASH_THREADS_X=$tx WEBATTN_FLASH_P=$pm pre --prefill 512,2048 --dtype f32 | tr '\n' '|')"; done
done
} > "$out/perf.txt" 2>&1
cat "$out/perf.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
