#!/usr/bin/env bash
# H200, 2026-12-01 (session 15), call 1: what bounds flash-prefill: each class of loads of its two inner loops
# removed in turn, FMAs kept (bench/prefill_loads.py; timing only, wrong output by design), with register counts;
# the FA2 running-output form (bench/prefill_runsum.py) counted again; flash-prefill's registers with Dawn's
# robustness off (its 1.9x slowdown of session 14); and the landed build (c8d36dd, not yet run on the H200): its
# checks, split-kv registers and decode points. Stage: ../shared/device/stage.sh build/webattn build/webattn_tests
#   build/webattn_long_tests build/libwebgpu_wrapper.so build/vkstats /tmp/ceilings.json bench/device_lib.sh
#   bench/device_h200_s15_loads.sh /tmp/var
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
t0=$(date +%s)
vs="base noq nok noqk noshfl nov nopvload runsum"
{
for v in $vs; do
  echo "regs $v S=2048: $(stats pre-$v-2048 env WEBATTN_KERNEL_DIR=$(kdir $v) "$w" bench --preset llama3-8b --repeats 1 --decode 0 --prefill 2048 --dtype f32 --algorithm flash-prefill)"
  echo "regs $v S=512: $(stats pre-$v-512 env WEBATTN_KERNEL_DIR=$(kdir $v) "$w" bench --preset llama3-8b --repeats 1 --decode 0 --prefill 512 --dtype f32 --algorithm flash-prefill)"
done
echo "regs norobust S=2048: $(stats pre-norobust env WEBATTN_DAWN_TOGGLES=disable_robustness "$w" bench --preset llama3-8b --repeats 1 --decode 0 --prefill 2048 --dtype f32 --algorithm flash-prefill)"
for dt in f16 f32; do
  echo "regs split-kv $dt C=4096: $(stats dec-$dt "$w" bench --preset llama3-8b --repeats 1 --prefill 0 --decode 4096 --dtype $dt --algorithm split-kv)"
done
} > "$out/regs.txt" 2>&1
cat "$out/regs.txt"; echo "t=$(( $(date +%s) - t0 ))"
pre() { timeout 60 "$w" bench --decode 0 --repeats 10 --algorithm flash-prefill --dtype f32 "$@" 2>&1 | grep -E '^prefill|rror' | awk '{print $5}'; }
{
for pt in "llama3-8b 2048" "llama3-8b 512" "llama3-8b 128" "llama3.2-1b 2048"; do
  set -- $pt
  line="$1 S=$2"
  for r in 1 2; do
    for v in $vs; do line="$line | $v $(WEBATTN_KERNEL_DIR=$(kdir $v) pre --preset $1 --prefill $2)"; done
  done
  echo "$line"
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
echo "check: $(timeout 200 "$w" check --cases 30 --seed 1501 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
echo "runsum check: $(WEBATTN_KERNEL_DIR=$(kdir runsum) timeout 200 "$w" check --algorithm flash-prefill --cases 40 --seed 1503 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
timeout 240 "$bin/webattn_tests" --gtest_filter='SplitKv*:HardInput*:ExtremeScore*:Plan*:Sinks*:Lse*:Mask*:Windows*:Flash*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED|SKIPPED|non-zero" | head -12
timeout 150 "$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -6
} > "$out/check.txt" 2>&1
cat "$out/check.txt"; echo "t=$(( $(date +%s) - t0 ))"
dec() { timeout 60 "$w" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}'; }
{
for C in 512 4096 16384 32768; do
  for dt in f16 f32; do
    echo "$dt C=$C | $(dec --preset llama3-8b --decode $C --dtype $dt) | $(dec --preset llama3-8b --decode $C --dtype $dt)"
  done
done
echo "step f16 $(timeout 120 "$w" bench --preset llama3-8b --decode 512,4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | awk '{printf "%s:%s ", $2, $5}')"
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"; echo "t=$(( $(date +%s) - t0 ))"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
