# Sourced by the bench/device_h200_s5_* .. s10_* scripts (stage it beside them): strict mode, bin (the
# staged folder), out ($OUT), the ceilings file bench reads (the staged ceilings.json copied there when
# staged), and kdir NAME: the WEBATTN_KERNEL_DIR of kernel variant NAME under $bin/${VARIANTS:-var}
# ("" for base, the embedded kernels).
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
export WEBATTN_CEILINGS_FILE=$out/ceilings.json
if [ -f "$bin/ceilings.json" ]; then cp "$bin/ceilings.json" "$WEBATTN_CEILINGS_FILE"; fi
kdir() { if [ "$1" = base ]; then echo ""; else echo "$bin/${VARIANTS:-var}/$1"; fi; }
# stats LABEL COMMAND...: runs COMMAND under the bench/vkstats layer (staged as $bin/vkstats), its
# output under $out/vk/LABEL, and prints each pipeline's register count, spill (local memory) and
# workgroup memory.
stats() {
  local d=$out/vk/$1; mkdir -p "$d"; shift
  env VKSTATS_DIR=$d VK_LAYER_PATH=$bin/vkstats VK_INSTANCE_LAYERS=VK_LAYER_WEBATTN_vkstats "$@" >/dev/null 2>&1
  grep -o 'Register Count=[0-9]*\|Local Memory Size=[0-9]*\|Shared Memory Size=[0-9]*' "$d/stats.txt" 2>/dev/null | paste -sd' '
}
# forced PASSES NSG COMMAND...: COMMAND (a shell function too) with WEBATTN_SPLIT_KV_PASSES / WEBATTN_SPLIT_KV_SUBGROUPS
# set to PASSES / NSG where those are not empty (session 13).
forced() {
  local p=$1 n=$2; shift 2
  ( if [ -n "$p" ]; then export WEBATTN_SPLIT_KV_PASSES=$p; fi
    if [ -n "$n" ]; then export WEBATTN_SPLIT_KV_SUBGROUPS=$n; fi
    "$@" )
}
