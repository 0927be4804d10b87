#!/usr/bin/env bash
# H200, 2026-11-30 (session 7), call 6: two fma chains only past D=128 (the build) against one chain always
# (f_chain1): the whole `check --cases 30 --seed 241` (call 3's one failure was a D=256 case), then
# timing at D=128 and 64, one fresh process per point, alternated.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
VARIANTS=var5
{
"$bin/webattn" check --cases 30 --seed 241 2>&1 | tr '\r' '\n' | sed 's/\]\[/]\n[/g' | grep -E -i "fail|worst|check:" | head -8
"$bin/webattn" check --cases 10 --seed 251 --head-dims 256 192 --no-presets 2>&1 | tr '\r' '\n' | sed 's/\]\[/]\n[/g' | grep -E -i "fail|worst|check:" | head -8
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
pf() { WEBATTN_KERNEL_DIR=$(kdir "$1") "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "${@:2}" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5, $6}'; }
{
for p in "llama3-8b 128 f32" "llama3-8b 512 f32" "llama3-8b 2048 f32" "llama3.2-1b 2048 f32"; do
  set -- $p
  for v in base f_chain1; do echo "$v $1 $(pf $v --preset $1 --prefill $2 --dtype $3)"; done
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
