#!/usr/bin/env bash
# clang-tidy (Debian 12's clang-tidy 14, the checks of .clang-tidy) over the
# .cpp files of the named layers, every warning an error (issue 23).
#   check_tidy.sh SOURCE_DIR BUILD_DIR LAYER...   e.g. storage, or app engine kernels storage ui
# A LAYER may also be a subfolder (engine/dlp) or one .cpp file (ui/store_worker.cpp).
# A file that includes LibTorch takes 20-40 s of checks (the matchers walk
# torch's headers too); tidy_run.py keeps a cache of files found clean, keyed
# by their preprocessed text, so a run checks only what changed
# (tests/style/README.md has the figures and which layers CTest covers).
set -euo pipefail
root="${1:?usage: check_tidy.sh SOURCE_DIR BUILD_DIR LAYER...}"
build="${2:?usage: check_tidy.sh SOURCE_DIR BUILD_DIR LAYER...}"
shift 2
tidy="$(command -v clang-tidy-14 || true)"
if [ -z "$tidy" ]; then
  echo "check_tidy: clang-tidy-14 is not installed (packaging/setup.sh installs clang-tidy)" >&2
  exit 1
fi
if [ ! -f "$build/compile_commands.json" ]; then
  echo "check_tidy: $build/compile_commands.json is missing (configure the build first)" >&2
  exit 1
fi
if ! command -v clang++-14 >/dev/null; then
  echo "check_tidy: clang++-14 is not installed (packaging/setup.sh installs clang)" >&2
  exit 1
fi
# tidy_run.py: the files in parallel (LWB_JOBS, default all cores), each skipped
# when its preprocessed input was found clean before (cache: LWB_TIDY_CACHE,
# default ~/.cache/lora-workbench/tidy); LWB_TIDY_VERBOSE=1 prints each file's time.
exec python3 "$(dirname "$0")/tidy_run.py" "$root" "$build" "$@"
