#!/usr/bin/env bash
# The browser tests: builds webattn for the web (scripts/build-web.sh, which installs the web
# toolchain if missing) and runs web/tests/suite.html in headless Chromium (SwiftShader's
# WebGPU, so every time it prints is CPU time) through the JS API: the float64-reference
# check on random shapes for every algorithm x f32/f16, a fixed-seed fuzz run, the embedding
# path (the page's own GPUDevice and GPUBuffers) and the bad-input errors. Exits non-zero on
# any failure in the page. Extra query parameters for the page may be given, e.g.
#   scripts/test-web.sh 'cases=8&fuzz=200&seed=3'
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build-web.sh"
query=${1:-}
node "$root/web/tests/run.mjs" "web/tests/suite.html${query:+?$query}" 1800
# The example page, shortened (the full one is a 128-token prefill + 64 decode steps).
node "$root/web/tests/run.mjs" "examples/web/index.html?prompt=32&steps=8" 900
