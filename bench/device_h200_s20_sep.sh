#!/usr/bin/env bash
# H200, 2026-12-02 (session 20), call 4: can a separate cache-update dispatch buy the one-pass kernel a read-only
# cache binding? The working tree's build: WEBATTN_SPLIT_KV_UPDATE=separate now runs the Sdpa's update pass, then
# the one-pass kernel with the caches bound read-only (no store of its own), where one pass runs; unset, the
# landed form (the kernel writes the step's key). Two rounds alternated; per call, us; then correctness.
. "$(dirname "$0")/device_lib.sh"
d() { "$bin/webattn" bench --preset ${P:-llama3-8b} --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}' | head -1; }
{
for pt in "f16 512" "f16 1024" "f16 2048" "f16 4096" "f16 8192" "f16 16384" "f32 512" "f32 4096" "f32 8192" "f32 16384"; do
  set -- $pt; dt=$1; C=$2
  for r in 1 2; do echo "$dt C=$C r$r: here=$(d --decode $C --dtype $dt) separate=$(WEBATTN_SPLIT_KV_UPDATE=separate d --decode $C --dtype $dt)"; done
done
for C in 512 4096; do for r in 1 2; do echo "llama3.2-1b f16 C=$C r$r: here=$(P=llama3.2-1b d --decode $C --dtype f16) separate=$(P=llama3.2-1b WEBATTN_SPLIT_KV_UPDATE=separate d --decode $C --dtype f16)"; done; done
st() { "$bin/webattn" bench --preset llama3-8b --layers model --repeats 20 "$@" 2>&1 | grep -E '^step +[0-9]|rror' | awk '{print $5}' | head -1; }
for pt in "f16 512" "f16 4096" "f32 4096"; do
  set -- $pt
  for r in 1 2; do echo "model step $1 $2 r$r: here=$(st --decode $2 --dtype $1) separate=$(WEBATTN_SPLIT_KV_UPDATE=separate st --decode $2 --dtype $1)"; done
done
echo "check separate: $(WEBATTN_SPLIT_KV_UPDATE=separate timeout 120 "$bin/webattn" check --algorithm split-kv --cases 24 --seed 2001 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
echo "tests separate: $(WEBATTN_SPLIT_KV_UPDATE=separate timeout 150 "$bin/webattn_tests" --gtest_filter='SplitKv*:Plan*:HardInput*:Sinks*:Lse*:Mask*:Window*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |Failure" | head -8 | tr '\n' ' ')"
} > "$out/sep.txt" 2>&1
cat "$out/sep.txt"
