#!/usr/bin/env bash
# The CLI's usability contract (issue #15): malformed command lines end in seconds with a
# message naming the bad value and the documented exit code; nothing asked for is lost.
# Usage: cli_errors_test.sh path/to/webattn
# Caches (tuning, ceilings) live in a temporary folder, never the user's.
set -u
w="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME="$tmp/cache" WEBATTN_TUNING_FILE="$tmp/cache/webattn/tuning.json"
unset WEBATTN_CEILINGS_FILE
failures=0

# expect RC MAX_SECONDS PATTERN -- ARGS...: exit code RC within MAX_SECONDS, output matching PATTERN (grep -E).
expect() {
  local rc=$1 limit=$2 pattern=$3
  shift 4
  local t0 t1 got secs
  t0=$(date +%s%N)
  "$w" "$@" >"$tmp/out" 2>&1
  got=$?
  t1=$(date +%s%N)
  secs=$(((t1 - t0) / 1000000))
  local why=""
  [ "$got" -eq "$rc" ] || why="exit $got, expected $rc"
  grep -qE -- "$pattern" "$tmp/out" || why="${why:+$why; }output lacks /$pattern/"
  [ "$secs" -le $((limit * 1000)) ] || why="${why:+$why; }took ${secs} ms, limit ${limit} s"
  if [ -n "$why" ]; then
    echo "FAIL webattn $*: $why"
    sed 's/^/    | /' "$tmp/out" | tail -8
    failures=$((failures + 1))
  else
    echo "ok   webattn $*  (exit $got, ${secs} ms)"
  fi
}

# ---- bad arguments: exit 2 before any GPU work ----
expect 2 10 "unknown algorithm 'bogus'.*expected one of" -- bench --algorithm bogus
expect 2 10 "5 \(--heads\) are not a multiple of kv heads 2" -- bench --heads 5 --kv-heads 2
expect 2 10 "--head-dim: must be a positive multiple of 4, got 6" -- bench --head-dim 6
expect 2 10 "--heads: must be at least 1, got 0" -- bench --heads 0 --kv-heads 0 --head-dim 0
expect 2 10 "--kv-heads: must be at least 1, got 0" -- bench --kv-heads 0
expect 2 10 "--head-dim: must be a positive multiple of 4, got 0" -- bench --head-dim 0
expect 2 10 "--json /nonexistent/dir/x.json: folder /nonexistent/dir does not exist" -- \
  bench --json /nonexistent/dir/x.json
expect 2 10 "--csv /nonexistent/dir/x.csv: folder /nonexistent/dir does not exist" -- bench --csv /nonexistent/dir/x.csv
expect 2 10 "--json /nonexistent/dir/x.json: folder /nonexistent/dir does not exist" -- \
  check --json /nonexistent/dir/x.json
expect 2 10 "--json /nonexistent/dir/x.json" -- probe --json /nonexistent/dir/x.json
expect 2 10 "--json /nonexistent/dir/x.json" -- devices --json /nonexistent/dir/x.json
expect 2 10 "--json $tmp: is a folder" -- bench --json "$tmp"
expect 2 10 "nothing to run" -- bench --prefill 0 --decode 0
expect 2 10 "--prefill: context length 0 among other lengths" -- bench --prefill 0,512
expect 2 10 "--decode: must be at most 4294967295, got 4294967296" -- bench --decode 4294967296
expect 2 10 "--copy-mib: must be at least 1, got -1" -- probe --copy-mib -1
expect 2 10 "--copy-mib: must be at least 1, got 0" -- probe --copy-mib 0
expect 2 10 "--copy-mib 1048576 is over this device's max" -- probe --copy-mib 1048576
expect 2 10 "--fma-iterations: must be at least 1, got 0" -- probe --fma-iterations 0
expect 2 10 "--repeats: must be at least 1, got 0" -- bench --repeats 0
expect 2 10 "--repeats: must be at least 1, got 0" -- probe --repeats 0
expect 2 10 "--repeats: must be at least 1, got 0" -- tune --repeats 0
expect 2 10 "--warmup: must be at least 0, got -1" -- bench --warmup -1
expect 2 10 "--batch: must be a whole number, got 'x'" -- bench --batch x
expect 2 10 "--cases: must be at least 0, got -1" -- check --cases -1
expect 2 10 "--fuzz: must be at least 0, got -3" -- check --fuzz -3
expect 2 10 "--head-dims: must be a positive multiple of 4, got 6" -- check --head-dims 8,6
expect 2 10 "nothing to check: --cases 0 with --no-presets and no --fuzz" -- check --cases 0 --no-presets
expect 2 10 "--dtype: f64 not in" -- bench --dtype f64
expect 2 10 "--layers: must be a whole number from 1 to 100000 or 'model' \(llama3-8b: 32\), got '0'" -- bench --layers 0
expect 2 10 "--layers: must be a whole number .*got 'x'" -- bench --layers x
expect 2 10 "--prefill with --layers: the model step times decode only" -- bench --layers 2 --prefill 64
expect 2 10 "--churn-once needs --churn-mib" -- bench --churn-once
expect 2 10 "--churn-mib: must be at least 1, got 0" -- bench --churn-mib 0
expect 2 10 "--rounds needs --placement" -- bench --rounds 3
expect 2 10 "--preset: foo not in" -- bench --preset foo
expect 2 10 "--adapter '99' matches no adapter; there are: 0: " -- bench --adapter 99
expect 2 10 "--decode: must be at least 1, got 0" -- tune --decode 0
expect 2 10 "--keys-per-tile: 20 not in" -- tune --keys-per-tile 20
touch "$tmp/a-file"
expect 2 10 "--file $tmp/a-file/sub/t.json: $tmp/a-file is not a folder" -- tune --file "$tmp/a-file/sub/t.json"
export WEBATTN_CEILINGS_FILE="$tmp/a-file/c.json"
expect 2 10 "ceilings file $tmp/a-file/c.json: $tmp/a-file is not a folder" -- probe
unset WEBATTN_CEILINGS_FILE
# An unreadable tuning or ceilings file is a bad setting (exit 2) naming it, not a GPU error (exit 5).
mkdir -p "$tmp/folder"
printf '{ not json' > "$tmp/bad.json"
WEBATTN_TUNING_FILE="$tmp/folder" expect 2 20 "tuning file $tmp/folder is a folder, not a file" -- \
  check --cases 0 --algorithm split-kv --dtype f32
WEBATTN_TUNING_FILE="$tmp/bad.json" expect 2 20 "tuning file $tmp/bad.json is not valid JSON" -- \
  check --cases 0 --algorithm split-kv --dtype f32
WEBATTN_CEILINGS_FILE="$tmp/bad.json" expect 2 20 "ceilings file $tmp/bad.json is not valid JSON" -- \
  bench --prefill 0 --decode 64 --repeats 1 --algorithm split-kv
# A measurement switch in the environment with a value it does not take: a bad argument (exit 2) before
# any GPU work (no device probe), not a point "not run" or nothing to check.
export WEBATTN_SPLIT_KV_KERNEL=warp
expect 2 10 "WEBATTN_SPLIT_KV_KERNEL=warp is not one of tiles, subgroup" -- \
  bench --prefill 0 --decode 64 --repeats 1 --algorithm split-kv
expect 2 10 "WEBATTN_SPLIT_KV_KERNEL=warp is not one of tiles, subgroup" -- \
  check --cases 0 --algorithm split-kv --dtype f32
unset WEBATTN_SPLIT_KV_KERNEL
export WEBATTN_FLASH_CHUNKS=0
expect 2 10 "WEBATTN_FLASH_CHUNKS=0 is not a chunk count from 1 to 64" -- \
  bench --prefill 64 --repeats 1 --algorithm flash-prefill
unset WEBATTN_FLASH_CHUNKS

# A GPU error midway through a point (flash-prefill's kernel replaced by text that does not compile): the
# sweep stops with exit 5, and the algorithm that finished before it is still printed and written. (The
# script's first bench that reaches the GPU: its time includes measuring the device's ceilings, about a
# minute under the sanitizers.)
mkdir -p "$tmp/kbroken"
echo "not wgsl" > "$tmp/kbroken/flash_prefill.wgsl"
export WEBATTN_KERNEL_DIR="$tmp/kbroken"
expect 5 300 "the sweep stopped after 1 results: .*flash_prefill" -- \
  bench --prefill 0 --decode 64 --repeats 1 --algorithm split-kv --algorithm flash-prefill --json "$tmp/partial.json"
unset WEBATTN_KERNEL_DIR
if python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; sys.exit(0 if [x['algorithm'] for x in r] == ['split-kv'] else 1)" \
  "$tmp/partial.json" 2>/dev/null; then
  echo "ok   the finished split-kv row is in --json after the GPU error"
else
  echo "FAIL the finished split-kv row is missing from --json after the GPU error"
  failures=$((failures + 1))
fi

# ---- points the device cannot run: refused before any GPU work (exit 4: nothing ran) ----
expect 4 10 "decode +100000000 .*not run: a KV cache of capacity 100000000 .*maxBufferSize" -- \
  bench --prefill 0 --decode 100000000
expect 4 10 "not run: .*maxBufferSize" -- bench --prefill 0 --decode 4294967295
expect 4 10 "none of the 1 requested points" -- bench --prefill 0 --decode 4294967295
expect 4 10 "step +100000000 .*not run: a KV cache of capacity 100000000 .*maxBufferSize" -- \
  bench --layers model --decode 100000000
# q of S x 32 heads x 128 fp32 one byte over this device's binding limit.
binding=$("$w" devices --json "$tmp/devices.json" >/dev/null && python3 -c \
  "import json,sys; print(json.load(open(sys.argv[1]))[0]['limits']['maxStorageBufferBindingSize'])" "$tmp/devices.json")
S=$((binding / 16384 + 1))
expect 4 10 "prefill +$S .*not run: q \[$S, 32, 128\] needs .* bytes, over this device's maxStorageBufferBindingSize" -- \
  bench --prefill "$S" --algorithm flash-prefill --dtype f16
expect 4 10 "nothing to check: this device can run none of the 1 case" -- \
  check --cases 1 --no-presets --head-dims 8 --algorithm split-kv --dtype f32
expect 4 10 "--decode 100000000 \(split-kv, f32 cache\) cannot run on this device" -- tune --decode 100000000

# ---- help documents the exit codes ----
for sub in devices probe check bench tune; do
  expect 0 10 "Exit codes: 0 everything asked ran" -- "$sub" --help
done

# ---- ceilings measured once and reused; a sweep with a refused point goes on (exit 3) ----
expect 0 120 "saved to $tmp/cache/webattn/ceilings.json" -- probe --quick --json "$tmp/probe.json"
python3 - "$tmp/probe.json" <<'EOF' || failures=$((failures + 1))
import json, sys
j = json.load(open(sys.argv[1]))
kinds = [f["ceiling"] for f in j["tried"]]
assert kinds == ["copy", "read", "fma"], kinds
assert all(j[k] > 0 for k in ("copy_gbps", "read_gbps", "fma_gflops")), j
print("ok   probe --json lists every form tried:", [f["form"] for f in j["tried"]])
EOF
expect 3 300 "ceilings \(floors\): saved in $tmp/cache/webattn/ceilings.json, measured 20" -- bench --heads 2 --kv-heads 1 --head-dim 8 \
  --prefill 0 --decode 8,100000000 --algorithm split-kv --repeats 1 --warmup 0 --batch 1 --json "$tmp/b.json"
grep -qE "^decode +8 split-kv +f32 +[0-9.]+ +[0-9.]+ +[0-9.]+% read" "$tmp/out" ||
  { echo "FAIL the runnable point has no result row"; failures=$((failures + 1)); }
grep -qE "^decode +100000000 .*not run: " "$tmp/out" ||
  { echo "FAIL the refused point has no 'not run' row"; failures=$((failures + 1)); }
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert len(j['results'])==1 and len(j['not_run'])==1, j" \
  "$tmp/b.json" || { echo "FAIL bench --json lacks the result or the refusal"; failures=$((failures + 1)); }

# ---- the model step and the churn measurement: tiny runs on the saved ceilings ----
# A model step that allocated per step would end in exit 5 ("the model step allocated").
expect 0 300 "^step +16 split-kv +f16 +[0-9.]+ +[0-9.]+ +[0-9.]+% read +[0-9.]+ x 3 layers" -- bench --heads 2 \
  --kv-heads 1 --head-dim 8 --decode 8,16 --dtype f32 --dtype f16 --layers 3 --repeats 2 --warmup 1 --batch 2 \
  --json "$tmp/step.json"
python3 - "$tmp/step.json" <<'EOF' || failures=$((failures + 1))
import json, sys
j = json.load(open(sys.argv[1]))
rows = [(r["mode"], r["context"], r["dtype"], r["layers"]) for r in j["results"]]
assert j["layers"] == 3 and sorted(rows) == [("step", c, d, 3) for c in (8, 16) for d in ("f16", "f32")], rows
assert all(r["total_ms"] > 0 and r["floor_ms"] > 0 for r in j["results"]), j["results"]
print("ok   bench --layers --json: one per-token row per context and dtype")
EOF
expect 0 300 "^decode +8 split-kv +f32 +[0-9.]+ +[0-9.]+ +[0-9.]+x +[0-9.]+ +[0-9.]+% read" -- bench --heads 2 \
  --kv-heads 1 --head-dim 8 --decode 8 --algorithm split-kv --churn-mib 3 --repeats 2 --warmup 1 --batch 2 \
  --csv "$tmp/churn.csv"
python3 - "$tmp/churn.csv" <<'EOF' || failures=$((failures + 1))
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 1 and float(rows[0]["per_call_us"]) > 0 and float(rows[0]["churned_us"]) > 0, rows
assert abs(float(rows[0]["churned_ratio"]) - float(rows[0]["churned_us"]) / float(rows[0]["per_call_us"])) < 1e-3, rows
print("ok   bench --churn-mib --csv: fresh and after-churn figures and their ratio")
EOF
expect 0 300 "churn: allocated 3 MiB in 1 buffers, wrote them and freed them before any cache" -- bench --heads 2 \
  --kv-heads 1 --head-dim 8 --decode 8 --layers 2 --churn-mib 3 --churn-once --repeats 1 --warmup 0 --batch 1
expect 0 300 "spread: copies' medians" -- bench --heads 2 --kv-heads 1 --head-dim 8 --decode 8 --algorithm split-kv \
  --placement 2 --rounds 2 --churn-mib 3 --repeats 1 --warmup 0 --batch 1 --json "$tmp/placement.json"
python3 - "$tmp/placement.json" <<'EOF' || failures=$((failures + 1))
import json, sys
j = json.load(open(sys.argv[1]))
p = j["placement"]
assert len(p) == 1 and p[0]["context"] == 8 and p[0]["churn_mib"] == 3, p
assert [len(r) for r in p[0]["us"]] == [2, 2] and all(x > 0 for r in p[0]["us"] for x in r), p
assert all(x > 0 for k in ("keys_read_gbps", "values_read_gbps") for r in p[0][k] for x in r), p
print("ok   bench --placement --json: copies x rounds of call times and K/V read rates")
EOF
expect 2 10 "placement" -- bench --decode 8 --placement 1
expect 2 10 "cannot be combined with --layers" -- bench --decode 8 --placement 2 --layers 2
expect 2 10 "warmup-ms" -- bench --decode 8 --warmup-ms -5
expect 2 10 "--warmup-ms: must be a finite number, got 'nan'" -- bench --decode 8 --warmup-ms nan
expect 2 10 "--softcap: must be a finite number, got 'nan'" -- bench --decode 8 --softcap nan
expect 2 10 "--softcap: must be a finite number, got 'inf'" -- bench --decode 8 --softcap inf

# devices --unsafe-features (issue #12 item 4): every adapter again with allow_unsafe_apis, the
# subgroup-matrix feature line (lavapipe: absent, and Dawn's refusal naming the feature). Where
# the feature is present: only reported configurations are multiplied (an unreported i8 kernel
# crashed Tint on the H200), f16 ones without shader-f16 are "not runnable" (exit 0), and with
# no int8 configuration the int8 line is there.
expect 0 20 "chromium-experimental-subgroup-matrix \(0x50037\): (absent|present)" -- devices --unsafe-features \
  --json "$tmp/unsafe.json"
python3 - "$tmp/unsafe.json" <<'EOF' || failures=$((failures + 1))
import json, sys
j = json.load(open(sys.argv[1]))
u = [a["unsafe_features"] for a in j]
assert u and all(x["features"] and "subgroup_matrix" in x for x in u), u
assert all("ChromiumExperimentalSubgroupMatrix" in x["refusal"] for x in u if not x["subgroup_matrix"]), u
for x in (x for x in u if x["subgroup_matrix"]):
    reported = {"%s x %s -> %s M%d N%d K%d" % (c["component"], c["component"], c["result"], c["M"], c["N"], c["K"])
                for c in x["configs"]}
    assert all(m["config"] in reported for m in x["matmul"]), x["matmul"]
    assert all("not_runnable" in m or m.get("pass") for m in x["matmul"]), x["matmul"]
    if not any(c["component"] in ("i8", "u8") for c in x["configs"]):
        assert "not offered by this Dawn build" in x["int8"], x
print("ok   devices --unsafe-features --json: features and subgroup-matrix per adapter")
EOF

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all CLI cases passed"
