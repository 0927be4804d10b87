#!/usr/bin/env bash
# H200, 2026-11-29 (session 4): is the "allocation history" slowdown the GPU's clock?
# nvidia-smi samples the SM clock every 20 ms in the background while the same decode
# bench runs in phases (markers in phases.txt, UTC seconds): fresh with the default 3
# warm-up submissions, fresh with 300, after 2 s idle, after churn; then the split kernel
# variant il against base with a long warm-up. Correlate with smi-trace.csv.
# Stage: webattn, libwebgpu_wrapper.so, kvar-dec/, this script;
# there: bash .device/run.sh bash .device/bin/device_h200_clocks.sh
set -uo pipefail
bin=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/out}
mkdir -p "$out"
export WEBATTN_CEILINGS_FILE=$out/ceilings.json
[ -f "$bin/ceilings.json" ] && cp "$bin/ceilings.json" "$WEBATTN_CEILINGS_FILE"
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,pstate,utilization.gpu,clocks_throttle_reasons.active \
  --format=csv,noheader -lms 20 > "$out/smi-trace.csv" 2>&1 &
smi_pid=$!
mark() { echo "$(date -u +%s.%N) $*" >> "$out/phases.txt"; }
mark start
[ -f "$bin/ceilings.json" ] || "$bin/webattn" probe --json "$out/probe.json" > "$out/probe.txt" 2>&1
mark probe-done
sleep 3
bench() {  # label kernel_dir [bench args]
  local label=$1 dir=$2; shift 2
  mark "begin $label"
  echo "$label $(WEBATTN_KERNEL_DIR=$dir "$bin/webattn" bench --preset llama3-8b --prefill 0 --algorithm split-kv "$@" 2>&1 \
    | grep -E "^decode|rror" | tr '\n' '|')"
  mark "end $label"
}
{
  bench "w3 f32 131072" "" --decode 131072 --dtype f32 --warmup 3 --repeats 20
  bench "w300 f32 131072" "" --decode 131072 --dtype f32 --warmup 300 --repeats 20
  bench "w3 f16 131072" "" --decode 131072 --dtype f16 --warmup 3 --repeats 20
  bench "w300 f16 131072" "" --decode 131072 --dtype f16 --warmup 300 --repeats 20
  sleep 2
  bench "w3 f16 16384" "" --decode 16384 --dtype f16 --warmup 3 --repeats 20
  bench "w1000 f16 16384" "" --decode 16384 --dtype f16 --warmup 1000 --repeats 20
  bench "w3 churn f16 16384,131072" "" --decode 16384,131072 --dtype f16 --warmup 3 --repeats 20 --churn-mib 2048
  bench "w300 churn f16 16384,131072" "" --decode 16384,131072 --dtype f16 --warmup 300 --repeats 20 --churn-mib 2048
  for C in 4096 32768 131072; do
    for dt in f32 f16; do
      for k in base il; do
        d=""; [ "$k" = base ] || d="$bin/kvar-dec/$k"
        bench "w300 $k $dt $C" "$d" --decode $C --dtype $dt --warmup 300 --repeats 20
      done
    done
  done
} > "$out/clocks.txt" 2>&1
mark end
kill $smi_pid
cat "$out/clocks.txt"
# Clock summary per phase: median SM clock of the samples inside it.
/usr/bin/env python3 - "$out" <<'PY' || true
import sys, datetime, statistics
out = sys.argv[1]
marks = [l.split(' ', 1) for l in open(f'{out}/phases.txt').read().splitlines()]
samples = []
for l in open(f'{out}/smi-trace.csv'):
    f = [x.strip() for x in l.split(',')]
    try:
        t = datetime.datetime.strptime(f[0], '%Y/%m/%d %H:%M:%S.%f').replace(tzinfo=datetime.timezone.utc).timestamp()
        samples.append((t, float(f[1].split()[0]), float(f[3].split()[0]) if f[3][0].isdigit() else 0.0))
    except Exception:
        pass
begins = {}
for t, m in marks:
    if m.startswith('begin '): begins[m[6:]] = float(t)
    if m.startswith('end ') and m[4:] in begins:
        a, b = begins[m[4:]], float(t)
        sm = [s[1] for s in samples if a <= s[0] <= b]
        pw = [s[2] for s in samples if a <= s[0] <= b]
        if sm:
            print(f'{m[4:]:<32} {b-a:6.1f} s  SM MHz median {statistics.median(sm):6.0f} min {min(sm):6.0f} max {max(sm):6.0f}  '
                  f'power median {statistics.median(pw):5.0f} W  ({len(sm)} samples)')
PY
