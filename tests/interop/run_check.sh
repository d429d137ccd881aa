#!/usr/bin/env bash
# CTest's entry to one interop check: runs CHECK.py with the project's Python
# (CMake's LWB_PYTHON, the .venv that holds torch, transformers and peft).
# Exit 77 (CTest: skipped) when that Python is missing; a missing library is
# reported, also with 77, by interop_common.start().
#
# usage: run_check.sh PYTHON CHECK.py PATH/TO/lorawb SOURCE_DIR
set -euo pipefail
python="$1"
check="$2"
shift 2
if [ ! -x "$python" ]; then
  echo "$(basename "$check"): skipped, the project's Python $python is missing (packaging/setup.sh makes it)"
  exit 77
fi
export PYTHONDONTWRITEBYTECODE=1 # nothing written into the source tree
exec "$python" "$(dirname "$0")/$check" "$@"
