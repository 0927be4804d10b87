#!/usr/bin/env bash
# H200, session 19, call 6: correctness of 5b4b7b5's build on the H200 (a bench line it also printed came out empty: its filter did not match; dropped here).
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
echo "tests: $(timeout 200 "$bin/webattn_tests" --gtest_filter='Flash*:HardInput*:Mask*:Windows*:Sinks*:Alibi*:Lse*:ExtremeScores*:Plan*:Validate*:Algorithms*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |Failure" | head -8 | tr '\n' ' ')"
echo "check: $(timeout 100 "$w" check --cases 30 --seed 1941 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
echo "fuzz: $(timeout 80 "$w" check --fuzz 80 --cases 0 --seed 1943 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
echo "check fused forced: $(WEBATTN_FLASH_UPDATE=fused timeout 100 "$w" check --cases 20 --seed 1945 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4); rc=$?"

