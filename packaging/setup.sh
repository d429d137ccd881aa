#!/usr/bin/env bash
# Installs what building and testing LoRA Workbench need on Debian 12, skipping
# what is already there; safe to run again. Run as root (or with sudo).
#
# 1. Debian packages: the toolchain, Qt 6, QCustomPlot, SQLite, OpenSSL's
#    libcrypto (SHA-256), CLI11 (lorawb's command line), the text libraries,
#    Xvfb for screenshots, WordNet and FreeDict for the lexicon, clang-format
#    and clang-tidy 14 (the layout and lint checks, tests/style).
# 2. The project's Python environment, .venv at the repository root: the
#    pinned PyTorch wheel, whose LibTorch (CUDA build) the engine links, and
#    the Python references the tests compare against (transformers, peft,
#    tokenizers, safetensors, jinja2), installed from
#    packaging/python/requirements.lock with --require-hashes.
#    .venv is a link to ~/.cache/lora-workbench/venvs/LOCK_SHA256, made once
#    per lock and shared by every clone: torch's headers then sit at one path,
#    so the precompiled torch header, and with it every translation unit, is
#    the same for ccache in any clone (a per-clone environment made every
#    clone a cold build), and a clone installs nothing. LWB_VENV=DIR installs
#    into DIR instead. The wheels are kept in ~/.cache/lora-workbench/wheels
#    (LWB_WHEELHOUSE), so a new lock downloads only what changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/lora-workbench"
wheelhouse="${LWB_WHEELHOUSE:-$cache/wheels}"
lock="$root/packaging/python/requirements.lock"
want="$(sha256sum "$lock" | cut -d' ' -f1)"
venv="${LWB_VENV:-$cache/venvs/$want}"

packages=(
  build-essential cmake ninja-build ccache pkg-config git clang-format clang-tidy
  python3 python3-venv
  nlohmann-json3-dev libsqlite3-dev libssl-dev libcli11-dev libpcre2-dev libicu-dev
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
  xvfb xauth
  desktop-file-utils appstream dpkg-dev
  zlib1g-dev wordnet-base libgloo-dev
  dict-freedict-eng-deu dict-freedict-eng-fra dict-freedict-eng-spa dict-freedict-eng-ita
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} Debian packages present"
fi

link_project_venv() {
  [ -n "${LWB_VENV:-}" ] && return
  if [ -e "$root/.venv" ] && [ ! -L "$root/.venv" ]; then
    rm -rf "$root/.venv" # an environment of an older setup.sh, made inside the clone
  fi
  ln -sfn "$venv" "$root/.venv"
}

# The stamp records which lock made the environment: a changed lock remakes it.
stamp="$venv/lwb-lock.sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  link_project_venv
  echo "setup: Python environment $venv matches the lock"
  exit 0
fi

started=$SECONDS
echo "setup: Python environment $venv from $(grep -c -- --hash "$lock") pinned packages"
mkdir -p "$wheelhouse"
# The stamp is written last: an interrupted set-up leaves an environment
# without one, which the next run removes. (Built in place: a venv's scripts
# name its path, so one cannot be made elsewhere and moved.)
building="$venv"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
# python3 -m venv: the interpreter on PATH (Debian's python3 with python3-venv,
# or any 3.10+); the lock's wheels are for CPython on Linux x86_64.
python3 -m venv "$building"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Download into the wheelhouse (files already there with the right hash are
# kept), then install from it alone: the network is needed once per machine.
"$building/bin/pip" download --quiet --require-hashes --no-deps -r "$lock" -d "$wheelhouse"
"$building/bin/pip" install --quiet --require-hashes --no-deps --no-index --find-links "$wheelhouse" -r "$lock"
echo "$want" >"$stamp"
link_project_venv
echo "setup: Python environment ready in $((SECONDS - started)) s ($(du -sh "$venv" | cut -f1))"
