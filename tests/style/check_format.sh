#!/usr/bin/env bash
# Every C++ and CUDA file of the repository is laid out as .clang-format says
# (issue 23: `clang-format --dry-run --Werror` in CI). Pinned to Debian 12's
# clang-format 14: another major version lays some lines out differently.
# Fix a failure with: clang-format-14 -i FILE...
set -euo pipefail
root="${1:?usage: check_format.sh SOURCE_DIR}"
cd "$root"
format="$(command -v clang-format-14 || true)"
if [ -z "$format" ]; then
  echo "check_format: clang-format-14 is not installed (packaging/setup.sh installs clang-format)" >&2
  exit 1
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.cu' '*.cuh')
else
  mapfile -t files < <(find app engine kernels storage tests ui -name '*.cpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' | sort)
fi
status=0
"$format" --dry-run --Werror "${files[@]}" 2>"${TMPDIR:-/tmp}/check_format.$$" || status=$?
unformatted="$(grep -oE '^[^:]+:[0-9]+:[0-9]+: (error|warning)' "${TMPDIR:-/tmp}/check_format.$$" | cut -d: -f1 | sort -u || true)"
head -40 "${TMPDIR:-/tmp}/check_format.$$"
rm -f "${TMPDIR:-/tmp}/check_format.$$"
if [ "$status" -ne 0 ]; then
  echo "check_format: $(wc -l <<<"$unformatted") of ${#files[@]} files differ from .clang-format:" >&2
  echo "$unformatted" >&2
  echo "fix with: clang-format-14 -i <files>" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files match .clang-format"
