#!/usr/bin/env bash
# H200, 2026-12-02 (session 20), call 5: a working tree build, not committed (the Q tile rule at D <= 64 with the
# score loop reading q through a q_at function; the one-pass decode's
# cache bindings generated, its update kept in the kernel). (1) llama3.2-1b prefill, the rule against the Q tile
# forced off and on; (2) llama3-8b prefill (the rule leaves the tile off at D 128), the build against the same
# binary running HEAD's flash_prefill.wgsl (var/oldk: q loaded inline, not through q_at); (3) decode and the model
# step as call 4 measured them; (4) correctness. Per call, us; two rounds alternated.
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
pre() { timeout 90 "$w" bench --decode 0 --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|^chunked|rror' | awk '{print $5}' | paste -sd/; }
{
echo "== (1) llama3.2-1b prefill: rule / Q tile off / on"
for pt in "128 f32" "128 f16" "256 f32" "512 f32" "512 f16" "1024 f32" "2048 f32" "32@4064 f32"; do
  set -- $pt; line="S=$1 $2"
  for r in 1 2; do line="$line | $(pre --preset llama3.2-1b --prefill $1 --dtype $2) / $(WEBATTN_FLASH_Q_TILE=off pre --preset llama3.2-1b --prefill $1 --dtype $2) / $(WEBATTN_FLASH_Q_TILE=on pre --preset llama3.2-1b --prefill $1 --dtype $2)"; done
  echo "$line"
done
echo "== (2) llama3-8b prefill: build / HEAD's kernel text"
for pt in "128 f32" "128 f16" "512 f32" "2048 f32" "32@4064 f32"; do
  set -- $pt; line="S=$1 $2"
  for r in 1 2; do line="$line | $(pre --preset llama3-8b --prefill $1 --dtype $2) / $(WEBATTN_KERNEL_DIR=$bin/var/oldk pre --preset llama3-8b --prefill $1 --dtype $2)"; done
  echo "$line"
done
echo "== (3) decode per call (us) and the model step"
d() { "$w" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}' | head -1; }
for pt in "f16 512" "f16 4096" "f16 16384" "f32 512" "f32 4096" "f32 16384"; do set -- $pt; echo "$1 C=$2: $(d --decode $2 --dtype $1) $(d --decode $2 --dtype $1)"; done
st() { "$w" bench --preset llama3-8b --layers model --repeats 20 "$@" 2>&1 | grep -E '^step +[0-9]|rror' | awk '{print $5}' | head -1; }
echo "model step f16 4096: $(st --decode 4096 --dtype f16) $(st --decode 4096 --dtype f16)"
echo "== (4) correctness"
echo "tests: $(timeout 200 "$bin/webattn_tests" --gtest_filter='Flash*:SplitKv*:HardInput*:Mask*:Windows*:Sinks*:Alibi*:Lse*:ExtremeScores*:Plan*:Validate*:Algorithms*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |Failure" | head -8 | tr '\n' ' ')"
echo "check: $(timeout 100 "$w" check --cases 30 --seed 2011 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
echo "fuzz: $(timeout 80 "$w" check --fuzz 80 --cases 0 --seed 2013 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
echo "check Q tile on: $(WEBATTN_FLASH_Q_TILE=on timeout 100 "$w" check --algorithm flash-prefill --cases 30 --seed 2015 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
} > "$out/final.txt" 2>&1
cat "$out/final.txt"
