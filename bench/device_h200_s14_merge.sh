#!/usr/bin/env bash
# H200, 2026-12-01 (session 14), call 3: the subgroups' merge at a chunk's end in one round (one pass: rows per
# round from the device's workgroup memory, TPI threads per item) and the step's own key from k_new / v_new
# (no read-back), against the previous build (staged as old/webattn), alternated point by point, two rounds;
# nozero (bench/decode_ablation.py on the new kernels: the merger's zeroing left out; timing only) as the bound
# of moving that zeroing off the merge. Correctness of the new build and the driver's register counts.
. "$(dirname "$0")/device_lib.sh"
new=$bin/webattn; old=$bin/old/webattn
d() { local b=$1; shift; LD_LIBRARY_PATH=$bin:${LD_LIBRARY_PATH:-} "$b" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}' | head -1; }
st() { local b=$1; shift; "$b" bench --layers model --repeats 20 "$@" 2>&1 | grep -E '^step +[0-9]|rror' | awk '{print $5}' | head -1; }
{
echo "== registers (new): $(stats dec512 "$new" bench --preset llama3-8b --prefill 0 --decode 512 --dtype f16 --algorithm split-kv --repeats 2)"
echo "   4096 f16: $(stats dec4096 "$new" bench --preset llama3-8b --prefill 0 --decode 4096 --dtype f16 --algorithm split-kv --repeats 2)"
echo "   4096 f32: $(stats dec4096f32 "$new" bench --preset llama3-8b --prefill 0 --decode 4096 --dtype f32 --algorithm split-kv --repeats 2)"
echo "== check: $(timeout 150 "$new" check --algorithm split-kv --cases 24 --seed 1403 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
echo "== fuzz: $(timeout 150 "$new" check --fuzz 60 --seed 1405 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
timeout 200 "$bin/webattn_tests" --gtest_filter='SplitKv*:Plan*:Sinks*:Lse*:Mask*:HardInput*:Alibi*:Window*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED|SKIPPED" | head -12
echo "== decode per call (us), old -> new, two rounds"
for pt in "llama3-8b f16 512" "llama3-8b f16 1024" "llama3-8b f16 2048" "llama3-8b f16 4096" "llama3-8b f16 8192" "llama3-8b f16 16384" \
          "llama3-8b f32 512" "llama3-8b f32 4096" "llama3-8b f32 16384" "llama3.2-1b f16 512" "llama3.2-1b f16 4096"; do
  set -- $pt
  for r in 1 2; do
    echo "$1 $2 C=$3 r$r: old=$(d "$old" --preset $1 --dtype $2 --decode $3) new=$(d "$new" --preset $1 --dtype $2 --decode $3)$( [ "$1" = llama3-8b ] && [ "$2" = f16 ] && echo " new+nozero=$(WEBATTN_KERNEL_DIR=$(kdir nozero) d "$new" --preset $1 --dtype $2 --decode $3)")"
  done
done
echo "== model step (us per token), old -> new"
for pt in "f16 512" "f16 4096" "f32 4096"; do set -- $pt
  for r in 1 2; do echo "llama3-8b $1 C=$2 r$r: old=$(st "$old" --preset llama3-8b --dtype $1 --decode $2) new=$(st "$new" --preset llama3-8b --dtype $1 --decode $2)"; done
done
echo "llama3.2-1b f16 C=4096: old=$(st "$old" --preset llama3.2-1b --dtype f16 --decode 4096) new=$(st "$new" --preset llama3.2-1b --dtype f16 --decode 4096)"
} > "$out/merge.txt" 2>&1
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
cat "$out/merge.txt"
