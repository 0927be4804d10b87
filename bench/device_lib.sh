# Sourced by the bench/device_h200_s5_* / s6_* scripts (stage it beside them): strict mode, bin (the
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
