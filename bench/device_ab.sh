#!/usr/bin/env bash
# A/B of split-kv decode on the GPU machine: binaries in bin/<variant>/webattn sharing
# bin/libwebgpu_wrapper.so; alternating processes, two rounds, same device call.
#   bash .device/run.sh bash .device/bin/device_ab.sh helper new new:--unfused-update
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
export LD_LIBRARY_PATH="$bin:${LD_LIBRARY_PATH:-}"
CTX=${CTX:-512 4096 16384 32768}
for round in 1 2; do
  for spec in "$@"; do
    v=${spec%%:*}; extra=""; [[ $spec == *:* ]] && extra=${spec#*:}
    echo "## round $round $v $extra" >> "$out/ab.txt"
    "$bin/$v/webattn" bench --preset llama3-8b --prefill 0 --decode $CTX --dtype f32 f16 --algorithm split-kv \
      --repeats 20 $extra 2>/dev/null >> "$out/ab.txt"
    grep "^decode" "$out/ab.txt" | tail -n $(( $(echo $CTX | wc -w) * 2 )) | awk -v n="$round $spec" '{print n": "$2" "$5" "$6}'
  done
done
"$bin/${DL:-new}/decode_loop" --prompt 512 --steps 256 > "$out/decode-loop.txt" 2>&1
"$bin/${DL:-new}/decode_loop" --prompt 4096 --steps 256 --f16 >> "$out/decode-loop.txt" 2>&1
grep -E "mean|objects" "$out/decode-loop.txt"
