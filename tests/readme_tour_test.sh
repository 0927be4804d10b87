#!/usr/bin/env bash
# The README's "API tour" code block must be examples/api_tour.cpp's lines between `// [tour]` and
# `// [/tour]` (less main's two-space indent), so the tour the README shows is the program the test
# suite builds and runs. Usage: readme_tour_test.sh SOURCE_DIR
set -euo pipefail
src=$1/examples/api_tour.cpp
readme=$1/README.md
tour=$(sed -n '/^  \/\/ \[tour\]$/,/^  \/\/ \[\/tour\]$/p' "$src" | sed '1d;$d' | sed 's/^  //')
block=$(awk '/^## API tour/ {f = 1} f && /^```cpp$/ {g = 1; next} g && /^```$/ {exit} g' "$readme")
if [[ -z $tour || -z $block ]]; then
  echo "readme_tour_test: no tour in $src or no cpp block under '## API tour' in $readme" >&2
  exit 1
fi
if ! diff <(printf '%s\n' "$tour") <(printf '%s\n' "$block"); then
  echo "readme_tour_test: README's API tour differs from examples/api_tour.cpp (diff above: < program, > README)" >&2
  exit 1
fi
echo "readme_tour_test: README's API tour is examples/api_tour.cpp's ($(printf '%s\n' "$tour" | wc -l) lines)"
