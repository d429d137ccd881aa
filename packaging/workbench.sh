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
  bash "$root/packaging/setup.sh"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$build" -j "$jobs"
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
    QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j "$jobs" "$@"
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
