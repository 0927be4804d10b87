#!/usr/bin/env bash
# H200, 2026-11-30 (session 10), call 3: flash-prefill with shuffled probabilities (8ed9e77): its stages left
# out or doubled (bench/prefill_ablation.py, timing only), keys per tile at D=64 (llama3.2-1b: up to 128 fit
# without the P tile) and at D=128 on short prompts, 64- vs 128-row tiles at S=1024; register counts.
# Stage: webattn, libwebgpu_wrapper.so, vkstats/, var/ (ablations), ceilings.json, device_lib.sh, this script.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir, stats
w() { "$bin/webattn" "$@"; }
pre() { w bench --decode 0 --repeats 10 --algorithm flash-prefill --dtype f32 "$@" 2>&1 | grep -E '^prefill|rror' | tr '\n' '|'; }
{
for bc in 64 96 128; do
  echo "1b keys $bc: $(stats 1b-$bc "$bin/webattn" bench --preset llama3.2-1b --repeats 1 --decode 0 --prefill 2048 --dtype f32 --algorithm flash-prefill --flash-keys-per-tile $bc)"
done
for bc in 128 96 64 128 96 64; do echo "1b keys $bc $(pre --preset llama3.2-1b --prefill 512,2048 --flash-keys-per-tile $bc)"; done
for bc in 48 64 48 64; do echo "8b keys $bc $(pre --preset llama3-8b --prefill 128,512,1024 --flash-keys-per-tile $bc)"; done
for tx in 16 8 16 8; do echo "8b tx $tx $(WEBATTN_FLASH_THREADS_X=$tx pre --preset llama3-8b --prefill 1024)"; done
for v in base noscore doublescore nopv doublepv noexp base; do
  echo "$v $(WEBATTN_KERNEL_DIR=$(kdir $v) pre --preset llama3-8b --prefill 2048)"
done
} > "$out/perf.txt" 2>&1
cat "$out/perf.txt"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
