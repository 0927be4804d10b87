#!/usr/bin/env bash
# H200, 2026-12-01 (session 14), call 4: the new build (one-round merge at a chunk's end; the step's own key patched
# into its block from k_new / v_new; the merge's o words zeroed by their readers as soon as read) against the
# previous build (old/webattn) and two ways of taking the own key (bench/onepass_own_key_variants.py of commit 92d3a43, staged as
# var/<name>, correct output): readback (written, storageBarrier, read back: the previous way) and inload (per key in
# load_block). Registers of each; why C=16384 f16 lost in call 3 (PREFETCH off, one row per merge round).
. "$(dirname "$0")/device_lib.sh"
new=$bin/webattn; old=$bin/old/webattn
d() { local b=$1; shift; "$b" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}' | head -1; }
st() { local b=$1; shift; "$b" bench --layers model --repeats 20 "$@" 2>&1 | grep -E '^step +[0-9]|rror' | awk '{print $5}' | head -1; }
{
for v in base readback inload; do
  for pt in "f16 512" "f16 4096" "f16 16384" "f32 4096"; do set -- $pt
    echo "registers $v $1 $2: $(WEBATTN_KERNEL_DIR=$(kdir $v) stats $v-$1-$2 "$new" bench --preset llama3-8b --prefill 0 --decode $2 --dtype $1 --algorithm split-kv --repeats 2 | grep -o 'Register Count=[0-9]* Local Memory Size=[0-9]* Shared Memory Size=[0-9]*' | sed -n 2p)"
  done
done
echo "== check: $(timeout 150 "$new" check --algorithm split-kv --cases 24 --seed 1409 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
timeout 150 "$bin/webattn_tests" --gtest_filter='SplitKvSubgroupForm.*:SplitKv*:Plan*' 2>&1 | grep -E "^\[ +(FAILED|PASSED) |Failure|^\[  FAILED|non-zero" | head -12
echo "== decode per call (us)"
for pt in "llama3-8b f16 512 2" "llama3-8b f16 1024 1" "llama3-8b f16 2048 1" "llama3-8b f16 4096 2" "llama3-8b f16 8192 1" "llama3-8b f16 16384 2" \
          "llama3-8b f32 512 1" "llama3-8b f32 4096 2" "llama3-8b f32 16384 1" "llama3.2-1b f16 512 2" "llama3.2-1b f16 4096 1"; do
  set -- $pt
  for r in $(seq 1 $4); do
    echo "$1 $2 C=$3 r$r: old=$(d "$old" --preset $1 --dtype $2 --decode $3) new=$(d "$new" --preset $1 --dtype $2 --decode $3) readback=$(WEBATTN_KERNEL_DIR=$(kdir readback) d "$new" --preset $1 --dtype $2 --decode $3) inload=$(WEBATTN_KERNEL_DIR=$(kdir inload) d "$new" --preset $1 --dtype $2 --decode $3)"
  done
done
for r in 1 2; do
  echo "f16 C=16384 r$r: new prefetch-off=$(WEBATTN_SPLIT_KV_PREFETCH=off d "$new" --preset llama3-8b --dtype f16 --decode 16384) merge-rows-1=$(WEBATTN_SPLIT_KV_MERGE_ROWS=1 d "$new" --preset llama3-8b --dtype f16 --decode 16384) readback+prefetch-off=$(WEBATTN_SPLIT_KV_PREFETCH=off WEBATTN_KERNEL_DIR=$(kdir readback) d "$new" --preset llama3-8b --dtype f16 --decode 16384)"
done
echo "== model step f16 C=4096 (us per token)"
for r in 1 2; do echo "r$r: old=$(st "$old" --preset llama3-8b --dtype f16 --decode 4096) new=$(st "$new" --preset llama3-8b --dtype f16 --decode 4096) readback=$(WEBATTN_KERNEL_DIR=$(kdir readback) st "$new" --preset llama3-8b --dtype f16 --decode 4096) inload=$(WEBATTN_KERNEL_DIR=$(kdir inload) st "$new" --preset llama3-8b --dtype f16 --decode 4096)"; done
} > "$out/ownkey.txt" 2>&1
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
cat "$out/ownkey.txt"
