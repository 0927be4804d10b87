#!/usr/bin/env bash
# H200, 2026-11-30 (session 7), call 8: the landed build (6c2ec5b's binaries): check and fuzz with new seeds,
# the flash suites, and the prefill points with the f16 cache that call 7 timed only with f32.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
{
echo "check: $("$bin/webattn" check --cases 16 --seed 261 2>&1 | tr '\r' '\n' | sed 's/\]\[/]\n[/g' | grep -E 'check:|FAIL|worst max' | head -4 | tr '\n' ' ')"
echo "fuzz: $("$bin/webattn" check --fuzz 60 --cases 0 --no-presets --seed 263 2>&1 | tr '\r' '\n' | sed 's/\]\[/]\n[/g' | grep -E 'check:|FAIL|rejected' | head -4 | tr '\n' ' ')"
"$bin/webattn_tests" --gtest_filter='Flash*:Plan*' 2>&1 | grep -E "^\[ +(PASSED|FAILED) |Failure" | head -4
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
"$bin/webattn" bench --preset llama3-8b --decode 0 --prefill 128,512,2048,32@4064 --dtype f32 --dtype f16 --algorithm flash-prefill --repeats 10 2>&1 | grep -E "^prefill|rror" > "$out/prefill.txt"
cat "$out/prefill.txt"
