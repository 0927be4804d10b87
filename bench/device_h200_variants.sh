#!/usr/bin/env bash
# H200, 2026-11-29: which part of the hard-input fixes costs time. Kernel variants are
# loaded from folders through $WEBATTN_KERNEL_DIR (each folder replaces only the files
# it holds); webattn-old is the binary of 5c41fdd. One process per point.
# there: bash .device/run.sh bash .device/bin/device_h200_variants.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
{
  for v in ${SK:-old sk_A sk_B sk_C}; do
    for C in 4096 32768; do
      for dt in f32 f16; do
        if [ $v = old ]; then b="$bin/webattn-old"; d=""; elif [ $v = cur ]; then b="$bin/webattn"; d=""; else b="$bin/webattn"; d="$bin/kvar/$v"; fi
        r=$(WEBATTN_KERNEL_DIR=$d "$b" bench --preset llama3-8b --prefill 0 --decode $C --dtype $dt --algorithm split-kv \
             --repeats 20 --probe-mib 64 2>&1 | grep -E "^decode|rror" | head -2)
        echo "$v $dt $r"
      done
    done
  done
  for v in ${FL:-old fl_A fl_B fl_C fl_D fl_E}; do
    for C in 512 2048; do
      if [ $v = old ]; then b="$bin/webattn-old"; d=""; elif [ $v = cur ]; then b="$bin/webattn"; d=""; else b="$bin/webattn"; d="$bin/kvar/$v"; fi
      r=$(WEBATTN_KERNEL_DIR=$d "$b" bench --preset llama3-8b --prefill $C --decode 0 --dtype f32 --algorithm flash-prefill \
           --repeats 10 --probe-mib 64 2>&1 | grep -E "^prefill|rror" | head -2)
      echo "$v f32 $r"
    done
  done
} 2>&1 | tee "$out/variants.txt"
