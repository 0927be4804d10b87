#!/usr/bin/env bash
# H200, 2026-12-01 (session 14), call 2: the one-dispatch decode's stages, finer (bench/decode_ablation.py, staged
# as var/<name>; timing only, wrong output by design): the step's own key written first (nostart), the merger's
# zeroing (nozero), its reads (noread), q's load (noq), the subgroups' merge at the chunk's end (nowgm, on top of
# nostate). Two rounds, alternated point by point.
. "$(dirname "$0")/device_lib.sh"
d() { "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}' | head -1; }
{
echo "== decode per call (us, column 5)"
for pt in "f16 512" "f16 4096" "f32 4096" "f16 16384"; do
  set -- $pt; dt=$1; C=$2
  for r in 1 2; do
    line="$dt C=$C r$r: base=$(d --decode $C --dtype $dt)"
    for v in nostart nozero nostart_nozero noread noq nostate nowgm empty; do line+=" $v=$(WEBATTN_KERNEL_DIR=$(kdir $v) d --decode $C --dtype $dt)"; done
    echo "$line"
  done
done
echo "== model step f16 C=4096 (us per token)"
st() { "$bin/webattn" bench --preset llama3-8b --decode 4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | head -1; }
for r in 1 2; do echo "base: $(st)"; echo "nostart_nozero: $(WEBATTN_KERNEL_DIR=$(kdir nostart_nozero) st)"; done
} > "$out/ablate2.txt" 2>&1
cat "$out/ablate2.txt"
