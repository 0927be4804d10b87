#!/usr/bin/env bash
# H200, 2026-11-30 (session 5), call 5: (a) the subgroup-matrix probe after its fix (webattn_sgm,
# webattn_tests from branch sgm-probe: must exit 0, no crash); (b) split_kv_decode's workgroup size
# ($WEBATTN_SPLIT_KV_WG, measurement only) x split_kv_workgroups target, one process per point.
. "$(dirname "$0")/device_lib.sh"  # bin, out, ceilings, kdir
{
  "$bin/webattn_sgm" devices --unsafe-features --json "$out/devices-unsafe.json"; echo "exit code: $?"
  "$bin/webattn_tests" --gtest_filter='SubgroupMatrix*' 2>&1 | grep -E "^\[ +(OK|FAILED|PASSED|SKIPPED) |Skipped|Failure|tests ran" ; echo "gtest exit: ${PIPESTATUS[0]}"
} > "$out/sgm.txt" 2>&1
cat "$out/sgm.txt" | grep -v "^      0x"
dec() { "$bin/webattn" bench --preset llama3-8b --prefill 0 --repeats 20 --algorithm split-kv "$@" 2>&1 | grep -E '^decode|rror'; }
for C in 32768 131072; do
  for dt in f32 f16; do
    for v in "128 1024" "256 1024" "128 4096" "256 4096" "64 1024"; do
      set -- $v
      echo "wg$1 t$2 $(WEBATTN_SPLIT_KV_WG=$1 dec --decode $C --dtype $dt --split-workgroups $2)"
    done
  done
done
for C in 512 4096; do
  for dt in f32 f16; do
    for v in 128 256; do echo "wg$v $(WEBATTN_SPLIT_KV_WG=$v dec --decode $C --dtype $dt)"; done
  done
done
