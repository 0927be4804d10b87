#!/usr/bin/env bash
# H200, 2026-12-02 (session 20), call 1: what the one-dispatch decode's tail costs now (after session 14's
# reader-zeroed o words): the merging workgroup's storageBarrier and (m, l) zeroing after its output left out
# (`notail`, bench/decode_ablation.py; timing only: stale (m, l) words are not waited for) against the
# kernel as landed, and `nozero` (no zeroing at all) for scale. Two rounds, alternated point by point.
. "$(dirname "$0")/device_lib.sh"
d() { "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}' | head -1; }
{
echo "== decode per call (us, column 5)"
for pt in "f16 512" "f16 1024" "f16 4096" "f32 4096" "f16 16384"; do
  set -- $pt; dt=$1; C=$2
  for r in 1 2; do
    line="$dt C=$C r$r: base=$(d --decode $C --dtype $dt)"
    for v in notail nozero; do line+=" $v=$(WEBATTN_KERNEL_DIR=$(kdir $v) d --decode $C --dtype $dt)"; done
    echo "$line"
  done
done
echo "== model step f16 C=4096 (us per token)"
st() { "$bin/webattn" bench --preset llama3-8b --decode 4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E '^step +[0-9]|rror' | head -1; }
for r in 1 2; do echo "base: $(st)"; echo "notail: $(WEBATTN_KERNEL_DIR=$(kdir notail) st)"; done
} > "$out/tail.txt" 2>&1
cat "$out/tail.txt"
