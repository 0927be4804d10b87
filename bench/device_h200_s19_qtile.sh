#!/usr/bin/env bash
# H200, 2026-12-01 (session 19), call 2: flash-prefill with the workgroup's query rows staged once in
# workgroup memory (variant qsh: src/kernels/flash_prefill.wgsl with bench/variants_s19/flash_prefill_qsh.patch applied, staged as var/qsh/flash_prefill.wgsl;
# the score loop reads q from there instead of from memory in every d4 step of every tile) against the
# embedded kernel, for the 128-thread workgroups of short prompts (q tile 16 KiB at D 128: 48-key tiles fit
# beside it, so the embedded kernel is timed at 48 keys too). Time alternated point by point (one fresh
# process per point, two rounds), registers, correctness of the variant.
# Stage: ../shared/device/stage.sh build/webattn build/webattn_tests build/libwebgpu_wrapper.so build/vkstats
#   bench/results/2026-12-01-h200/s17-call2-final/ceilings.json bench/device_lib.sh bench/device_h200_s19_qtile.sh /tmp/s19var/var
# there: bash .device/run.sh bash .device/bin/device_h200_s19_qtile.sh
. "$(dirname "$0")/device_lib.sh"
w=$bin/webattn
t0=$(date +%s)
# run FORM ARGS...: bench ARGS with form FORM's kernel, switches and options
run() {
  local f=$1; shift
  case $f in
    rule) "$@" ;;
    r48) "$@" --flash-keys-per-tile 48 ;;
    qsh) WEBATTN_KERNEL_DIR=$bin/var/qsh "$@" ;;
    qshpf) WEBATTN_KERNEL_DIR=$bin/var/qsh WEBATTN_FLASH_PREFETCH_K=on "$@" ;;
  esac
}
forms="rule r48 qsh qshpf"
{
for m in $forms; do
  echo "regs $m S=128: $(stats pre-$m run $m "$w" bench --preset llama3-8b --repeats 1 --decode 0 --prefill 128 --dtype f32 --algorithm flash-prefill | sed 's/Register Count=16 Local Memory Size=68719476736 Shared Memory Size=0//g')"
done
} > "$out/regs.txt" 2>&1
cat "$out/regs.txt"; echo "t=$(( $(date +%s) - t0 ))"
pre() { local f=$1; shift; run $f timeout 60 "$w" bench --decode 0 --repeats 10 --algorithm flash-prefill "$@" 2>&1 | grep -E '^prefill|^chunked|rror' | awk '{print $5}' | paste -sd/; }
{
for pt in "llama3-8b 128 f32" "llama3-8b 128 f16" "llama3-8b 256 f32" "llama3.2-1b 128 f32" "llama3.2-1b 128 f16" \
          "llama3-8b 32@4064 f32" "llama3-8b 128@3968 f32"; do
  set -- $pt
  line="$1 S=$2 $3"
  for r in 1 2; do
    for m in $forms; do line="$line | $m $(pre $m --preset $1 --prefill $2 --dtype $3)"; done
  done
  echo "$line"
done
} > "$out/prefill.txt" 2>&1
cat "$out/prefill.txt"; echo "t=$(( $(date +%s) - t0 ))"
{
for m in qsh qshpf; do
  echo "tests $m: $(WEBATTN_FLASH_THREADS=128 run $m timeout 100 "$bin/webattn_tests" --gtest_filter='FlashPrefill*:HardInput*:Mask*:Windows*:Sinks*:Alibi*:Lse*' 2>&1 | grep -E "^\[ +(FAILED|PASSED|SKIPPED) |Failure" | head -6 | tr '\n' ' ')"
  echo "check $m: $(WEBATTN_FLASH_THREADS=128 run $m timeout 80 "$w" check --algorithm flash-prefill --cases 24 --seed 1907 2>&1 | tr '\r' '\n' | grep -E 'check:|FAIL|worst' | head -6)"
done
} > "$out/check.txt" 2>&1
cat "$out/check.txt"; echo "t=$(( $(date +%s) - t0 ))"
(cd "$out" && tar czf vk.tar.gz vk && rm -rf vk)
