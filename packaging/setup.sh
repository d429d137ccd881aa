#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing LoRA Workbench
# need, skipping those already present; safe to run again. Run as root (or
# with sudo available). Also makes OpenBLAS the system BLAS: Debian's
# LibTorch calls whatever libblas.so.3 points to, and the reference BLAS it
# falls back to is about 30x slower. libblas-dev: the engine links that same
# libblas.so.3 for SiRA's many small products (engine/core/cpu_gemm.h).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-openmp libblas-dev
  nlohmann-json3-dev libsqlite3-dev libpcre2-dev libicu-dev
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
  xvfb xauth
  desktop-file-utils appstream dpkg-dev
  zlib1g-dev wordnet-base
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
  echo "setup: all ${#packages[@]} packages present"
fi

# The tokenizer's peer check runs transformers' tokenizers through Node.js.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup: installing nodejs and npm"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
fi

blas=/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
if [ -e "$blas" ] && [ "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)" != "$(readlink -f "$blas")" ]; then
  echo "setup: selecting OpenBLAS as the system BLAS"
  as_root update-alternatives --set libblas.so.3-x86_64-linux-gnu "$blas"
fi
