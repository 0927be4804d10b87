#!/usr/bin/env bash
# the f16-out case behind the final call's "worst rel_l2 1.00" (check --fuzz 100 --seed 1043), verbose
bin=$(cd "$(dirname "$0")" && pwd); out=${OUT:-/tmp/out}; mkdir -p $out
"$bin/webattn" check --fuzz 100 --seed 1043 --verbose > $out/fuzz.txt 2>&1
tr '\r' '\n' < $out/fuzz.txt | grep -E "check:|worst|below half"
tr '\r' '\n' < $out/fuzz.txt | grep -E "^(ok|FAIL)" | awk '{for(i=1;i<=NF;i++) if($i=="rel_l2") print $(i+1), $0}' | sort -g | tail -4
