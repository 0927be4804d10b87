#!/usr/bin/env bash
# Builds webattn for browsers: web/dist/webattn_wasm.{js,wasm} (an ES module + wasm), used by
# the JS API in web/webattn.js. Installs the web toolchain first if missing
# (scripts/setup.sh --web). Everything it builds lives in build-web/, Emscripten's system
# libraries too (EM_CACHE), so a second run and the tests reuse them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh" --web
em_root="$root/build-web/toolchain/emscripten/usr/share/emscripten"
export EM_CONFIG="$root/build-web/toolchain/emscripten.cfg"
export EM_CACHE="$root/build-web/em-cache"
build_type=${WEBATTN_WEB_BUILD_TYPE:-Release}
"$em_root/emcmake" cmake -S "$root" -B "$root/build-web/cmake" -DCMAKE_BUILD_TYPE="$build_type" \
  -DWEBATTN_TESTS=OFF >/dev/null
cmake --build "$root/build-web/cmake" -j "$(nproc)"
ls -l "$root/web/dist/webattn_wasm.js" "$root/web/dist/webattn_wasm.wasm"
