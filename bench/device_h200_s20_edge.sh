#!/usr/bin/env bash
# H200, 2026-12-02 (session 20), call 7: the committed build (89fa97a): the hard-input / extreme-score / adversarial suites, the long sums (4K-128K keys), and a fuzz seed not used before.
. "$(dirname "$0")/device_lib.sh"
echo "hard: $(timeout 40 "$bin/webattn_tests" --gtest_filter='HardInput*:ExtremeScores*:Adversarial*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -4 | tr '\n' ' ')"
echo "long: $(timeout 60 "$bin/webattn_long_tests" 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure" | head -4 | tr '\n' ' ')"
echo "fuzz: $(timeout 45 "$bin/webattn" check --fuzz 60 --cases 0 --seed 2031 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -4)"
