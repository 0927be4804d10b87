#!/usr/bin/env bash
# Installs everything webattn needs on a Debian 12 (bookworm) machine. Idempotent:
# a second run only checks. Called by the README commands and by .ci/run.
#   - Debian packages: compiler, CMake, GoogleTest, CLI11, nlohmann-json, fmt,
#     Python with numpy/torch (the independent test oracle), Node's npm (to fetch Dawn)
#   - Vulkan loader + Mesa lavapipe from bookworm-backports (Dawn rejects Mesa 22)
#   - Dawn prebuilt (libwebgpu_wrapper.so) from npm, pinned by third_party/dawn/package-lock.json
# With --web (or WEBATTN_WEB=1) also the browser toolchain, used by scripts/build-web.sh and
# scripts/test-web.sh (see "In the browser" in README.md):
#   - clang/lld/llvm 22 (Debian 12 security suite, version pinned below) and Debian's chromium
#   - Emscripten 6.0.5: the Debian package vendored in third_party/emscripten/ (sha256-checked),
#     unpacked with dpkg -x into build-web/toolchain/ (never installed into /)
#   - npm binaryen, acorn, acorn-import-phases, puppeteer-core: web/package-lock.json (npm ci)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
want_web=${WEBATTN_WEB:-0}
for arg in "$@"; do
  case "$arg" in
    --web) want_web=1 ;;
    *) echo "setup: unknown argument '$arg' (only --web)" >&2; exit 2 ;;
  esac
done
log() { printf '[setup] %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive

packages=(cmake g++ make pkg-config libgtest-dev libcli11-dev nlohmann-json3-dev libfmt-dev
          python3 python3-numpy python3-torch python3-matplotlib)
# The web toolchain's Debian pieces; clang 22 pinned to the version Emscripten 6.0.5 was tested with.
llvm_version="1:22.1.8-1~deb12u1"
if [ "$want_web" = 1 ]; then
  packages+=(chromium "clang-22=$llvm_version" "lld-22=$llvm_version" "llvm-22=$llvm_version")
fi
command -v npm >/dev/null 2>&1 || packages+=(npm)
backports_packages=(libvulkan1 mesa-vulkan-drivers)

missing=()
for spec in "${packages[@]}"; do
  p=${spec%%=*}
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$spec")
  elif [ "$p" != "$spec" ] && [ "$(dpkg-query -W -f='${Version}' "$p")" != "${spec#*=}" ]; then
    missing+=("$spec")  # installed, but not the pinned version
  fi
done

# Mesa >= 24 is needed: lavapipe from Debian 12 itself (Mesa 22) is rejected by Dawn.
mesa_ok() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null) || return 1
  dpkg --compare-versions "$v" ge 24 && dpkg-query -W -f='${Status}' libvulkan1 2>/dev/null | grep -q "install ok installed"
}

if [ ${#missing[@]} -gt 0 ] || ! mesa_ok; then
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "adding the bookworm-backports suite"
    echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/webattn-backports.list >/dev/null
  fi
  log "apt-get update"
  $SUDO apt-get update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ! mesa_ok; then
    log "installing from bookworm-backports: ${backports_packages[*]}"
    $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${backports_packages[@]}" >/dev/null
  fi
fi
mesa_ok || { echo "setup: mesa-vulkan-drivers >= 24 could not be installed" >&2; exit 1; }

dawn_dir="$root/third_party/dawn"
dawn_so="$dawn_dir/node_modules/bun-webgpu-linux-x64/libwebgpu_wrapper.so"
if [ ! -f "$dawn_so" ]; then
  log "fetching the Dawn prebuilt (npm ci, integrity-checked by package-lock.json)"
  (cd "$dawn_dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
[ -f "$dawn_so" ] || { echo "setup: $dawn_so missing after npm ci" >&2; exit 1; }
log "ok: $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}' mesa-vulkan-drivers), Dawn at ${dawn_so#$root/}"

[ "$want_web" = 1 ] || exit 0

# ---- the web toolchain ----
web_tc="$root/build-web/toolchain"
deb_dir="$root/third_party/emscripten"
deb="$deb_dir/emscripten_6.0.5+dfsg+~1.41.5-2_all.deb"
em_root="$web_tc/emscripten/usr/share/emscripten"
if [ ! -x "$em_root/emcc" ] || [ "$(cat "$web_tc/emscripten.sha256" 2>/dev/null)" != "$(cut -d' ' -f1 "$deb_dir/SHA256SUMS")" ]; then
  log "checking and unpacking the vendored Emscripten package"
  (cd "$deb_dir" && sha256sum --quiet -c SHA256SUMS) || { echo "setup: $deb does not match third_party/emscripten/SHA256SUMS" >&2; exit 1; }
  rm -rf "$web_tc/emscripten"
  mkdir -p "$web_tc"
  dpkg -x "$deb" "$web_tc/emscripten"
  cut -d' ' -f1 "$deb_dir/SHA256SUMS" > "$web_tc/emscripten.sha256"
fi
if [ ! -f "$root/web/node_modules/binaryen/package.json" ] || [ ! -f "$root/web/node_modules/puppeteer-core/package.json" ] \
   || [ "$root/web/package-lock.json" -nt "$root/web/node_modules/.package-lock.json" ]; then
  log "installing binaryen, acorn, puppeteer-core (npm ci, pinned by web/package-lock.json)"
  (cd "$root/web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
# Emscripten's JS tools resolve acorn from <emscripten>/node_modules.
ln -sfn "$root/web/node_modules" "$em_root/node_modules"
# Our own config: Debian's points at /usr (clang-21, /usr/bin/wasm-opt); this one at the pinned pieces.
cat > "$web_tc/emscripten.cfg" <<CFG
LLVM_ROOT = '/usr/lib/llvm-22/bin'
BINARYEN_ROOT = '$root/web/node_modules/binaryen'
NODE_JS = '$(command -v node)'
CACHE = '$root/build-web/em-cache'
CFG
EM_CONFIG="$web_tc/emscripten.cfg" "$em_root/emcc" --version >/dev/null 2>&1 \
  || { EM_CONFIG="$web_tc/emscripten.cfg" "$em_root/emcc" --version >&2; echo "setup: emcc does not run" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "setup: /usr/bin/chromium missing" >&2; exit 1; }
log "ok (web): $(EM_CONFIG="$web_tc/emscripten.cfg" "$em_root/emcc" --version 2>/dev/null | head -1), $(/usr/lib/llvm-22/bin/clang --version | head -1), binaryen $(node -p "require('$root/web/node_modules/binaryen/package.json').version"), $(/usr/bin/chromium --version 2>/dev/null)"
