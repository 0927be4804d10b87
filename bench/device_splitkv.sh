#!/usr/bin/env bash
# Split-KV decode on the GPU machine: correctness of the new binary (`check --algorithm
# split-kv`), then baseline vs new per-call timings in the same call (llama3-8b heads, S = 1).
# Stage webattn (new), base/webattn (baseline build), libwebgpu_wrapper.so and this script
# into one folder's bin/ with the usual run.sh (see ../shared/DEVICE.md), then there:
#   bash <stage>/run.sh bash <stage>/bin/device_splitkv.sh [compare|final|long]
# Results under $OUT: check-new.txt, bench-{base,new}.{txt,json} (first round),
# bench-variants.txt (other rounds), splitkv-log.txt (summary). Env: CTX, WGS, CHECK_CASES.
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
new="$bin/webattn"
base="$bin/base/webattn"
CTX=${CTX:-4096,16384,32768,65536,131072}
WGS=${WGS:-256}
log="$out/splitkv-log.txt"
stamp() { echo "== $(date +%T) $*" | tee -a "$log"; }
b() {  # b NAME BINARY [extra bench args...]   (env knobs set by the caller)
  local name=$1 w=$2; shift 2
  stamp "bench $name $*"
  local txt="$out/bench-$name.txt" json=()
  case $name in base|new) json=(--json "$out/bench-$name.json");; *) txt="$out/bench-variants.txt";; esac
  echo "## $name (split-workgroups $WGS) $*" >> "$txt"
  "$w" bench --preset llama3-8b --prefill 0 --decode ${CTX//,/ } --dtype f32 f16 --algorithm split-kv \
     --repeats 20 --split-workgroups $WGS "$@" "${json[@]}" 2>>"$log" > "$out/tmp.txt"
  awk -v n="$name" '/^decode/ {print n": "$2" "$4" "$5}' "$out/tmp.txt" | tee -a "$log"
  cat "$out/tmp.txt" >> "$txt"; rm -f "$out/tmp.txt"
}
"$new" devices 2>&1 | head -5 >> "$log"
stamp "check new"
"$new" check --algorithm split-kv --cases ${CHECK_CASES:-40} > "$out/check-new.txt" 2>&1
tail -3 "$out/check-new.txt" | tee -a "$log"
case "${1:-compare}" in
  long)  # more processes at the long contexts only (run with CTX=65536,131072)
    for round in 1 2 3 4 5; do b base-long$round "$base"; b new-long$round "$new"; done
    ;;
  final)  # base vs new, three processes each (long contexts vary from process to process);
    # packed/webattn (if staged): a third binary, e.g. an intermediate variant
    for round in 1 2 3; do
      if [ $round = 1 ]; then b base "$base"; b new "$new"; else b base-r$round "$base"; b new-r$round "$new"; fi
      [ -x "$bin/packed/webattn" ] && b packed-r$round "$bin/packed/webattn"
    done
    ;;
  *)
    b base "$base"
    b new "$new"
    ;;
esac
stamp done
