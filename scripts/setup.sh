#!/usr/bin/env bash
# Installs everything webattn needs on a Debian 12 (bookworm) machine. Idempotent:
# a second run only checks. Called by the README commands and by .ci/run.
#   - Debian packages: compiler, CMake, GoogleTest, CLI11, nlohmann-json, fmt,
#     Python with numpy/torch (the independent test oracle), Node's npm (to fetch Dawn)
#   - Vulkan loader + Mesa lavapipe from bookworm-backports (Dawn rejects Mesa 22)
#   - Dawn prebuilt (libwebgpu_wrapper.so) from npm, pinned by third_party/dawn/package-lock.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
log() { printf '[setup] %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive

packages=(cmake g++ make pkg-config libgtest-dev libcli11-dev nlohmann-json3-dev libfmt-dev
          python3 python3-numpy python3-torch python3-matplotlib)
command -v npm >/dev/null 2>&1 || packages+=(npm)
backports_packages=(libvulkan1 mesa-vulkan-drivers)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
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
