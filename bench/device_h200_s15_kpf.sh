#!/usr/bin/env bash
# H200, 2026-12-01 (session 15), call 3: the build with flash-prefill's K prefetch chosen by shape (PREFETCH_K off
# where D > 64 with 128-row tiles or 128-thread workgroups): registers, the rule's points with the prefetch forced
# on and off alternated (one fresh process per point), 128-thread workgroups without it at S=256..1024, the f16
# cache, correctness, and PyTorch's prefill in the same call.
# Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/libwebgpu_wrapper.so build/vkstats
#   /tmp/ceilings.json bench/device_lib.sh bench/torch_sdpa.py bench/device_h200_s15_kpf.sh
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
t0=$(date +%s)
{
for S in 2048 512 128; do
  echo "regs default S=$S: $(stats pre-$S "$w" bench --preset llama3-8b --repeats 1 --decode 0 --prefill $S --dtype f32 --algorithm flash-prefill | sed 's/Register Count=16 Local Memory Size=68719476736 Shared Memory Size=0//g')"
done
} > "$out/regs.txt" 2>&1
cat "$out/regs.txt"; echo "t=$(( $(date +%s) - t0 ))"
pre() { timeout 90 "$w" bench --decode 0 --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|rror' | awk '{print $5}'; }
{
for pt in "llama3-8b 128" "llama3-8b 256" "llama3-8b 512" "llama3-8b 1024" "llama3-8b 2048" "llama3-8b 512@3584" \
          "llama3-8b 2048@14336" "llama3-8b 32@4064" "llama3-8b 128@3968" "llama3.2-1b 128" "llama3.2-1b 512" "llama3.2-1b 2048"; do
  set -- $pt
  line="$1 S=$2 f32 | default $(pre --preset $1 --prefill $2 --dtype f32)"
  for r in 1 2; do
    for pf in on off; do line="$line | $pf $(WEBATTN_FLASH_PREFETCH_K=$pf pre --preset $1 --prefill $2 --dtype f32)"; done
  done
  echo "$line"
done
for S in 256 512 1024; do
  echo "llama3-8b S=$S 128 threads | off $(WEBATTN_FLASH_THREADS=128 WEBATTN_FLASH_PREFETCH_K=off pre --preset llama3-8b --prefill $S --dtype f32) | on $(WEBATTN_FLASH_THREADS=128 WEBATTN_FLASH_PREFETCH_K=on pre --preset llama3-8b --prefill $S --dtype f32) | default $(pre --preset llama3-8b --prefill $S --dtype f32) | off $(WEBATTN_FLASH_THREADS=128 WEBATTN_FLASH_PREFETCH_K=off pre --preset llama3-8b --prefill $S --dtype f32)"
done
for S in 128 512 2048 512@3584; do
  echo "llama3-8b S=$S f16 | default $(pre --preset llama3-8b --prefill $S --dtype f16) | on $(WEBATTN_FLASH_PREFETCH_K=on pre --preset llama3-8b --prefill $S --dtype f16) | default $(pre --preset llama3-8b --prefill $S --dtype f16)"
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
echo "check: $(timeout 200 "$w" check --algorithm flash-prefill --cases 40 --seed 1509 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
echo "check all: $(timeout 200 "$w" check --cases 20 --seed 1511 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
echo "fuzz: $(timeout 150 "$w" check --fuzz 80 --seed 1513 --cases 0 --no-presets 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
timeout 240 "$bin/webattn_tests" --gtest_filter='Flash*:HardInput*:ExtremeScore*:Sinks*:Lse*:Mask*:Windows*:Alibi*:Softcap*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED|SKIPPED|non-zero" | head -12
} > "$out/check.txt" 2>&1
cat "$out/check.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
timeout 200 python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 128 --prefill 128,512,1024,2048 --decode 0 \
  --chunked 3584:512,14336:2048,4064:32,3968:128 --json "$out/torch.json"
timeout 100 python3 "$bin/torch_sdpa.py" --heads 32 --kv-heads 8 --head-dim 64 --prefill 128,512,2048 --decode 0
} > "$out/torch.txt" 2>&1
tail -30 "$out/torch.txt"; echo "t=$(( $(date +%s) - t0 ))"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
