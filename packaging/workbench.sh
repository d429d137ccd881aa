#!/usr/bin/env bash
# The two commands of the README, from a fresh Debian 12 machine:
#   packaging/workbench.sh run    set up, build, start the workbench GUI
#   packaging/workbench.sh test   set up, build, run every test through CTest
# and one for the command line:
#   packaging/workbench.sh cli ARGS...   set up, build, run lorawb ARGS
# The build lives in build/ (Release, Ninja, ccache when present).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${LWB_BUILD_DIR:-$root/build}"
jobs="${LWB_JOBS:-$(nproc)}"
# ccache across clones and build directories: paths relative to the source
# root, and the precompiled torch header accepted as an input.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"

setup_and_build() {
  local started=$SECONDS
  bash "$root/packaging/setup.sh"
  local built=$SECONDS
  local configured
  configured="$(cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" 2>&1)" \
    || { echo "$configured" >&2; return 1; }
  grep -E "^-- LoRA Workbench:" <<<"$configured" || true # LibTorch, CUDA, kernels
  cmake --build "$build" -j "$jobs"
  echo "workbench: set-up $((built - started)) s, build $((SECONDS - built)) s"
}

command="${1:-}"
shift || true
case "$command" in
  run)
    setup_and_build
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
      echo "workbench: no display; starting under Xvfb (screenshots only)" >&2
      exec xvfb-run -a -s "-screen 0 1400x900x24" "$build/app/lora-workbench" "$@"
    fi
    exec "$build/app/lora-workbench" "$@"
    ;;
  test)
    setup_and_build
    # Tests use the offscreen Qt platform and temporary databases; they never
    # touch the user's run store.
    cd "$build"
    tested=$SECONDS
    status=0
    QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j "$jobs" "$@" || status=$?
    echo "workbench: tests $((SECONDS - tested)) s"
    exit "$status"
    ;;
  cli)
    setup_and_build
    exec "$build/app/lorawb" "$@"
    ;;
  *)
    echo "usage: packaging/workbench.sh run|test|cli [ARGS...]" >&2
    exit 2
    ;;
esac
