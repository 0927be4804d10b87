#!/usr/bin/env bash
# H200, 2026-11-30 (session 5), call 3: split_kv_decode latency chains. P (kvP/): tile i+1's K/V
# loaded into registers while tile i is computed (software pipeline); D (kvD/): q.k summed in four
# independent vec4 chains (D4/4 long instead of D4); PD: both. Through $WEBATTN_KERNEL_DIR, one
# process per point, variants interleaved; check of each variant there; model step base vs PD.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
dec() { "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
kd() { if [ "$1" = base ]; then echo /nonexistent; else echo "$bin/$1"; fi; }
for C in 4096 32768 131072 512; do
  for dt in f32 f16; do
    for v in base kvP kvD kvPD; do
      if [ $v = base ]; then echo "base $(dec --decode $C --dtype $dt)"; else echo "$v $(WEBATTN_KERNEL_DIR=$bin/$v dec --decode $C --dtype $dt)"; fi
    done
  done
done
for v in kvP kvD kvPD; do
  echo "$v: $(WEBATTN_KERNEL_DIR=$bin/$v "$bin/webattn" check --algorithm split-kv --cases 30 --seed 7 2>&1 | grep -E 'check:|FAIL' | head -4 | tr '\n' '|')"
done
"$bin/webattn" bench --preset llama3-8b --decode 4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E "^step|rror"
WEBATTN_KERNEL_DIR=$bin/kvPD "$bin/webattn" bench --preset llama3-8b --decode 4096 --dtype f16 --layers model --repeats 20 2>&1 | grep -E "^step|rror"
