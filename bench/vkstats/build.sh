#!/usr/bin/env bash
# Builds the measurement layer (bench/vkstats/vkstats_layer.c) into build/vkstats/: libvkstats.so and
# its manifest. Needs the Vulkan headers (Debian: libvulkan-dev); a developer tool, not part of CI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ -f /usr/include/vulkan/vk_layer.h ] || { echo "vkstats: needs /usr/include/vulkan (apt-get install libvulkan-dev)" >&2; exit 2; }
mkdir -p "$top/build/vkstats"
cc -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden -o "$top/build/vkstats/libvkstats.so" "$here/vkstats_layer.c" -lpthread
cp "$here/vkstats.json" "$top/build/vkstats/"
echo "built $top/build/vkstats (VK_LAYER_PATH=build/vkstats VK_INSTANCE_LAYERS=VK_LAYER_WEBATTN_vkstats)"
