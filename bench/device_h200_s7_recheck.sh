#!/usr/bin/env bash
# H200, 2026-11-30 (session 7), call 4: the one `check --cases 30 --seed 241` failure of call 3, with its
# lines; and the churn ratio at C=16384 f16 (1.51x in call 3) repeated, with the shipped decode kernel and
# with the session-6 one (d_base: q staged before the first tile's loads).
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
VARIANTS=var4
"$bin/webattn" check --cases 30 --seed 241 > "$out/check-raw.txt" 2>&1
tr '\r' '\n' < "$out/check-raw.txt" | sed 's/\]\[/]\n[/g' | grep -E -i "fail|worst|check:" | head -20 > "$out/check.txt"
cat "$out/check.txt"
{
for i in 1 2 3; do
  for v in base d_base; do
    for dt in f16 f32; do
      echo "$v $dt $(WEBATTN_KERNEL_DIR=$(kdir $v) "$bin/webattn" bench --preset llama3-8b --prefill 0 --decode 16384 --dtype $dt --algorithm split-kv --repeats 20 --churn-mib 2048 2>&1 | grep -E '^decode|rror' | awk '{print $2, $4, $5, $6, $7}')"
    done
  done
done
} > "$out/churn.txt" 2>&1
cat "$out/churn.txt"
