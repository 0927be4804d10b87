#!/usr/bin/env bash
# H200, 2026-11-30 (session 7), call 5 (and 6): flash_prefill's scores through two fma chains (even / odd head-dim
# vec4s; call 5's build; call 6's only past D=128) against one chain (f_chain1, the kernel of calls 3-4, which failed one D=256 case of
# `check --cases 30 --seed 241` by max abs 2.44e-6): that check, flash-prefill f32 only, with each; then the
# timing, one fresh process per point, alternated.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
VARIANTS=var5
{
for v in base f_chain1; do
  WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" check --cases 30 --seed 241 --algorithm flash-prefill --dtype f32 2>&1 \
    | tr '\r' '\n' | sed 's/\]\[/]\n[/g' | grep -E -i "fail|worst|check:" | sed "s/^/$v /" | head -8
done
echo "base check f16 + fuzz: $("$bin/webattn" check --cases 12 --seed 245 --algorithm flash-prefill 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL' | head -3)"
} > "$out/check.txt" 2>&1
cat "$out/check.txt"
pf() { WEBATTN_KERNEL_DIR=$(kdir "$1") "$bin/webattn" bench --repeats 10 --algorithm flash-prefill "${@:2}" 2>&1 | grep -E '^prefill|rror' | awk '{print $2, $4, $5, $6}'; }
{
for p in "llama3-8b 128 f32" "llama3-8b 512 f32" "llama3-8b 2048 f32" "llama3-8b 2048 f16" "llama3.2-1b 2048 f32" "llama3-8b 512@3584 f32"; do
  set -- $p
  for v in base f_chain1; do echo "$v $1 $(pf $v --preset $1 --prefill $2 --dtype $3)"; done
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"
