#!/usr/bin/env bash
# H200, 2026-12-01 (session 14), call 1: where a one-dispatch decode call's time goes, and what Dawn's safety
# transforms cost. (a) split-kv's one-pass kernel with one stage left out (bench/decode_ablation.py, staged as
# var/<name>: noload, nomerge, nostate, empty; timing only, wrong output by design); (b) the toggles
# disable_workgroup_init (no zeroing of workgroup memory at entry) and disable_robustness (no bounds clamping),
# through WEBATTN_DAWN_TOGGLES, on decode, prefill and the model step; (c) 16-key blocks and PREFETCH with 16
# subgroups. Two rounds, alternated point by point. vkstats: registers and SPIR-V with and without the toggles.
. "$(dirname "$0")/device_lib.sh"
WG=disable_workgroup_init; RB=disable_robustness
d() { "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}' | head -1; }
pf() { "$bin/webattn" bench --preset llama3-8b --repeats 10 --dtype f32 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|rror' | awk '{print $5}' | head -1; }
{
echo "== decode per call (us, column 5), rounds r1 / r2"
for pt in "f16 512" "f16 4096" "f16 16384" "f32 4096"; do
  set -- $pt; dt=$1; C=$2
  for r in 1 2; do
    line="$dt C=$C r$r:"
    line+=" base=$(d --decode $C --dtype $dt)"
    for v in noload nomerge nostate empty; do line+=" $v=$(WEBATTN_KERNEL_DIR=$(kdir $v) d --decode $C --dtype $dt)"; done
    line+=" wg=$(WEBATTN_DAWN_TOGGLES=$WG d --decode $C --dtype $dt)"
    line+=" empty+wg=$(WEBATTN_DAWN_TOGGLES=$WG WEBATTN_KERNEL_DIR=$(kdir empty) d --decode $C --dtype $dt)"
    line+=" rob=$(WEBATTN_DAWN_TOGGLES=$RB d --decode $C --dtype $dt)"
    line+=" both=$(WEBATTN_DAWN_TOGGLES=$WG,$RB d --decode $C --dtype $dt)"
    echo "$line"
  done
done
echo "== f16 decode, 16 subgroups: 16-key blocks, PREFETCH"
for C in 4096 16384; do for r in 1 2; do
  echo "f16 C=$C r$r: base=$(d --decode $C --dtype f16) keys16=$(WEBATTN_SPLIT_KV_BLOCK_KEYS=16 d --decode $C --dtype f16) prefetch=$(WEBATTN_SPLIT_KV_PREFETCH=on d --decode $C --dtype f16) keys16+prefetch=$(WEBATTN_SPLIT_KV_BLOCK_KEYS=16 WEBATTN_SPLIT_KV_PREFETCH=on d --decode $C --dtype f16)"
done; done
echo "== prefill f32 (us)"
for S in 512 2048; do for r in 1 2; do
  echo "S=C=$S r$r: base=$(pf --prefill $S) wg=$(WEBATTN_DAWN_TOGGLES=$WG pf --prefill $S) rob=$(WEBATTN_DAWN_TOGGLES=$RB pf --prefill $S) both=$(WEBATTN_DAWN_TOGGLES=$WG,$RB pf --prefill $S)"
done; done
echo "== model step f16 C=4096 (us per token)"
st() { "$bin/webattn" bench --preset llama3-8b --decode 4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | head -1; }
for r in 1 2; do echo "base: $(st)"; echo "both: $(WEBATTN_DAWN_TOGGLES=$WG,$RB st)"; done
echo "== vkstats"
for cfg in base rob; do
  tg=""; [ $cfg = rob ] && tg=$RB
  echo "decode f16 4096 $cfg: $(WEBATTN_DAWN_TOGGLES=$tg stats dec-$cfg "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode 4096 --dtype f16 --algorithm split-kv --repeats 2)"
  echo "prefill 512 $cfg: $(WEBATTN_DAWN_TOGGLES=$tg stats pf-$cfg "$bin/webattn" bench --preset llama3-8b --prefill 512 --dtype f32 --algorithm flash-prefill --repeats 2)"
done
} > "$out/ablate.txt" 2>&1
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
cat "$out/ablate.txt"
