#!/usr/bin/env bash
# H200, 2026-11-30 (session 8), call 8: the landed build after the D=128 accuracy fix (two fma chains past D=64)
# and the 128-thread rule at S=256: flash-prefill checks (call 6's failing seed 861 and a new one), the flash
# suites, and prefill at every point of the final table, both dtypes (decode and the model step did not change
# after call 4).
# Stage: webattn, webattn_tests, libwebgpu_wrapper.so, ceilings.json, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
{
for seed in 861 871; do
  echo "seed $seed: $("$bin/webattn" check --algorithm flash-prefill --cases 12 --seed $seed 2>&1 | tr '\r' '\n' | sed 's/\]\[/]\n[/g' | grep -E 'check:|FAIL|worst max' | head -4 | tr '\n' ' ')"
done
"$bin/webattn_tests" --gtest_filter='FlashPrefill*:FlashWide*' 2>&1 | grep -E "^\[ +(PASSED|FAILED) |Failure|tests ran" | head -6
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
{
"$bin/webattn" bench --preset llama3-8b --decode 0 --prefill 128,256,512,1024,2048,512@3584,2048@14336,32@4064,128@3968 \
  --dtype f32 --dtype f16 --algorithm flash-prefill --repeats 10 --json "$out/prefill.json" 2>&1 | grep -E "^prefill|rror"
"$bin/webattn" bench --preset llama3.2-1b --decode 0 --prefill 128,1024,2048 --dtype f32 --algorithm flash-prefill --repeats 10 2>&1 | grep -E "^prefill|rror"
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
