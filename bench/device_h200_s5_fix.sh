#!/usr/bin/env bash
# H200, 2026-11-30 (session 5), call 9: the fused-span scratch fix (c74cd5c) there: the long-sum decode
# tests, the split-kv chunk tests (fused and separate), a split-kv check.
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
"$bin/webattn_long_tests" --gtest_filter='LongSums/LongDecode.MatchesFloat64/split_kv*' 2>&1 | grep -E "^\[ +(OK|FAILED|PASSED) |Failure"
"$bin/webattn_tests" --gtest_filter='SplitKvChunks.*' 2>&1 | grep -E "^\[ +(OK|FAILED|PASSED) |Failure"
"$bin/webattn" check --algorithm split-kv --cases 20 --seed 101 2>&1 | grep -E "check:|FAIL" | head -3
