#!/usr/bin/env bash
# Installs webattn into a temporary prefix, then configures, builds and runs
# examples/consumer against the installed package (find_package(webattn CONFIG)).
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/examples/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer"
test -x "$work/prefix/bin/webattn"
"$work/prefix/bin/webattn" devices >/dev/null  # finds lib/libwebgpu_wrapper.so through its RPATH
echo "installed package: 1 passed, 0 failed"
