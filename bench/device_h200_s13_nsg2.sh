#!/usr/bin/env bash
# H200, 2026-12-01 (session 13), call 2-3: as device_h200_s13_nsg.sh (whose decode points did not run: a shell function
# under env), with the merge's part count and MB generated (PARTS, MB): registers per setting, then decode per
# context under each setting, one fresh process per point.
. "$(dirname "$0")/device_lib.sh"
dec() { timeout 60 "$bin/webattn" bench --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror' | awk '{print $5}'; }
v() { forced "$@"; }  # device_lib.sh
t0=$(date +%s)
for s in "one 4 f16" "one 8 f16" "one 16 f16" "two 16 f16" "one 16 f32" "two 4 f16"; do
  set -- $s
  echo "regs $s: $(stats r-$1-$2-$3 env WEBATTN_SPLIT_KV_PASSES=$1 WEBATTN_SPLIT_KV_SUBGROUPS=$2 "$bin/webattn" bench --prefill 0 --repeats 3 --algorithm split-kv --preset llama3-8b --decode 4096 --dtype $3 | cut -c1-200)"
done > "$out/regs.txt" 2>&1
cat "$out/regs.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
for C in 512 1024 2048 4096 8192; do
  old=two; [ $C -le 512 ] && old=one
  for dt in f16; do
    line="$dt C=$C"
    for s in "$old 4" "_ _" "one 8" "one 16" "two 16" "$old 4" "_ _" "one 8" "one 16" "two 16"; do
      set -- $s; p=${1#_}; n=${2#_}
      line="$line | ${p:-dflt}/${n:-dflt} $(v "$p" "$n" dec --preset llama3-8b --decode $C --dtype $dt)"
    done
    echo "$line"
  done
done
line="f32 C=4096"
for s in "two 4" "one 16" "two 4" "one 16"; do
  set -- $s; line="$line | $1/$2 $(v "$1" "$2" dec --preset llama3-8b --decode 4096 --dtype f32)"
done
echo "$line"
} > "$out/decode.txt" 2>&1
cat "$out/decode.txt"; echo "t=$(( $(date +%s) - t0 ))"
