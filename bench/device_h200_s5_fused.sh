#!/usr/bin/env bash
# H200, 2026-11-30 (session 5), call 7: split-kv with the cache update written by its merge pass
# (2 dispatches per call; default) vs the separate update pass ($WEBATTN_SPLIT_KV_UPDATE=separate,
# 3 dispatches), alternated, one process per point: decode per call f32/f16, the 32-layer model step;
# prefill (SCALE_AFTER const added: must be unchanged); correctness of this build there.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
w() { "$bin/webattn" "$@"; }
dec() { w bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
{
for C in 512 4096 16384 32768 131072; do
  for dt in f32 f16; do
    echo "fused    $(dec --decode $C --dtype $dt --json $out/decode-$C-$dt.json)"
    echo "separate $(WEBATTN_SPLIT_KV_UPDATE=separate dec --decode $C --dtype $dt)"
  done
done
echo "fused    $(w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 --json $out/model-step.json 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
echo "separate $(WEBATTN_SPLIT_KV_UPDATE=separate w bench --preset llama3-8b --decode 512,4096,32768 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror' | tr '\n' '|')"
echo "fused    $(w bench --preset llama3-8b --decode 4096 --dtype f32 --layers model --repeats 20 2>&1 | grep -E '^step|rror')"
echo "fused    $(w bench --preset llama3.2-1b --decode 4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step|rror')"
w bench --preset llama3-8b --decode 0 --prefill 128,512,2048 --dtype f32 --dtype f16 --algorithm flash-prefill --repeats 10 2>&1 | grep -E "^prefill|rror"
} > "$out/perf.txt" 2>&1
cat "$out/perf.txt"
{
w check --cases 30 --seed 83 2>&1 | grep -E "check:|FAIL" | head -5
w check --fuzz 100 --seed 89 2>&1 | tr '\r' '\n' | grep -E "check:|FAIL|fuzz:" | head -8
"$bin/webattn_tests" --gtest_filter='SplitKv*:Adversarial*:Plan*:Sdpa*:Errors*:AllVariants*:HardInputs*:LongSums*:Windows*:Mask*:Sinks*:Lse*:Alibi*:Softcap*:SlidingWindow*:ExtremeScores*:F16Activations*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |tests ran|Failure" | head -12
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
