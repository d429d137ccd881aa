#!/bin/bash
# packaging/gpu_check.sh: the one-command GPU check (issue 19, part 6). On a machine with a GPU, a
# CUDA PyTorch in `python3`, a C++ compiler, CMake and ninja, it
#   1. unpacks the bundle of build dependencies packaging/gpu_deps.sh made (Qt 6 Core + Test,
#      CLI11, nlohmann-json, SQLite, libcrypto, ICU, PCRE2, zlib, gloo headers, pkgconf) to /tmp;
#   2. configures a Release build without the GUI (Ninja) against the torch of that Python, the
#      bundle's prefixes first (CMAKE_PREFIX_PATH, pkg-config on the bundle's .pc files only);
#   3. builds lorawb, the engine's test suites and the benchmarks the table needs;
#   4. runs the harness (test_adapter_paths: every adapter path on cpu and cuda:N against float64)
#      and the engine test label (ctest -L engine, without `slow` and `peer`);
#   5. prints the table of tests/bench/gpu_table.py: LoRA, SiRA, ResLoRA and DLP-LoRA training on
#      ~125M and ~1B Llama shapes in bf16 beside transformers + peft, the ratios and the MFU.
# Each stage's time is printed; a failed stage is reported and the next ones still run; the exit
# status is that of the first failure. Everything goes to $OUT (the device tool's folder) or --out.
#
#   packaging/gpu_check.sh [--out DIR] [--build-dir DIR] [--jobs N] [--budget SECONDS]
#                          [--build-lock FILE] [--cpu-smoke]
#
# --budget (default 570): the table drops the ~1B shape when less than 200 s are left after the
#   tests, so the whole check stays inside one 10-minute device command.
# --cpu-smoke: the same stages on a CPU machine in a few minutes, to prove the bundle complete:
#   CMake is told to ignore /usr (CMAKE_IGNORE_PREFIX_PATH), every dependency must come from the
#   bundle (checked in the configure summary), every bundled library goes first on the loader's
#   path (ldd of a test shows them), a few suites and the table's tiny CPU shape run.
# --build-lock FILE: the build step takes this flock (a machine where builds are serialised).
# Python: $LWB_GPU_PYTHON, else python3 (the one holding torch, transformers and peft).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${OUT:-$root/build-gpucheck/out}
build=$root/build-gpucheck
jobs=$(nproc)
budget=570
smoke=0
build_lock=
while [ $# -gt 0 ]; do
  case "$1" in
  --out) out=$2; shift ;;
  --build-dir) build=$2; shift ;;
  --jobs) jobs=$2; shift ;;
  --budget) budget=$2; shift ;;
  --build-lock) build_lock=$2; shift ;;
  --cpu-smoke) smoke=1 ;;
  *) echo "gpu_check: unknown argument $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
  shift
done
python=${LWB_GPU_PYTHON:-python3}
tarball=$root/.gpu-bundle/lwb-gpu-bundle.tar.xz
bundle=/tmp/lwb-gpu-bundle
runtime_libs=/tmp/lwb-gpu-bundle-libs
mkdir -p "$out"
exec > >(tee "$out/gpu_check.log") 2>&1

started=$SECONDS
stage_started=$SECONDS
first_failure=0
timings=()
stage() {
  stage_name=$1
  stage_started=$SECONDS
  echo
  echo "=== gpu_check: $stage_name (at $((SECONDS - started)) s)"
}
stage_done() { # STATUS
  local status=$1 took=$((SECONDS - stage_started))
  timings+=("$(printf '%-10s %4d s  %s' "$stage_name" "$took" "$([ "$status" -eq 0 ] && echo ok || echo "FAILED ($status)")")")
  echo "=== gpu_check: $stage_name took $took s, $([ "$status" -eq 0 ] && echo ok || echo "FAILED ($status)")"
  if [ "$status" -ne 0 ] && [ "$first_failure" -eq 0 ]; then first_failure=$status; fi
}
finish() {
  echo
  echo "=== gpu_check: stages (budget ${budget} s, used $((SECONDS - started)) s)"
  printf '  %s\n' "${timings[@]}"
  exit "$first_failure"
}

# --- 1. the bundle --------------------------------------------------------------------------
stage unpack
if [ ! -f "$tarball" ]; then
  echo "gpu_check: no $tarball: run packaging/gpu_deps.sh on a Debian 12 machine first, and carry .gpu-bundle"
  stage_done 1
  finish
fi
if [ ! -f "$bundle/.unpacked" ] || [ "$tarball" -nt "$bundle/.unpacked" ]; then
  rm -rf "$bundle" && mkdir -p "$bundle" && tar -xJf "$tarball" -C "$bundle" --strip-components=1 \
    && touch "$bundle/.unpacked"
fi
libdir=$bundle/usr/lib/x86_64-linux-gnu
# The loader's path gets the bundle's libraries this machine lacks, never one that would shadow
# the system's own (its Python and CUDA libraries keep theirs); --cpu-smoke puts all of them first.
rm -rf "$runtime_libs" && mkdir -p "$runtime_libs"
known=$(ldconfig -p 2>/dev/null | awk '{print $1}' | sort -u)
added=0
for lib in "$libdir"/lib*.so.*; do
  name=$(basename "$lib")
  if [ "$smoke" -eq 1 ] || ! grep -qxF "$name" <<<"$known"; then
    ln -s "$lib" "$runtime_libs/$name"
    added=$((added + 1))
  fi
done
export LD_LIBRARY_PATH=$runtime_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "bundle: $(wc -l <"$bundle/MANIFEST.txt") Debian packages in $bundle; $added of its libraries on LD_LIBRARY_PATH"
stage_done 0

# --- 2. configure ---------------------------------------------------------------------------
stage configure
torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)') || {
  echo "gpu_check: $python has no torch (set LWB_GPU_PYTHON)"
  stage_done 1
  finish
}
python_env=$("$python" -c 'import sys; print(sys.prefix)')
"$python" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "GPUs", torch.cuda.device_count())'
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root} CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros}
fi
export PKG_CONFIG_LIBDIR=$libdir/pkgconfig:$bundle/usr/share/pkgconfig PKG_CONFIG_PATH=
ignore=()
[ "$smoke" -eq 1 ] && ignore=(-DCMAKE_IGNORE_PREFIX_PATH=/usr)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLWB_BUILD_GUI=OFF \
  -DLWB_PYTHON_ENV="$python_env" \
  -DCMAKE_PREFIX_PATH="$bundle/usr;$libdir/cmake;$torch_prefix" \
  -DPKG_CONFIG_EXECUTABLE="$bundle/usr/bin/pkgconf" "${ignore[@]}" >"$out/configure.log" 2>&1
status=$?
grep -E '^-- (LoRA Workbench|Found)' "$out/configure.log"
if [ "$status" -ne 0 ]; then
  tail -40 "$out/configure.log"
else
  # Where each dependency came from: with --cpu-smoke every one must be the bundle's.
  echo "dependencies found:"
  for key in Qt6_DIR Qt6Core_DIR Qt6Test_DIR CLI11_DIR nlohmann_json_DIR SQLite3_INCLUDE_DIR SQLite3_LIBRARY \
    OPENSSL_INCLUDE_DIR OPENSSL_CRYPTO_LIBRARY ZLIB_INCLUDE_DIR ZLIB_LIBRARY_RELEASE LWB_GLOO_INCLUDE_DIR \
    pkgcfg_lib_PCRE2_pcre2-8 pkgcfg_lib_ICU_icuuc PKG_CONFIG_EXECUTABLE Torch_DIR; do
    value=$(grep -E "^$key:[A-Z]+=" "$build/CMakeCache.txt" | head -1 | cut -d= -f2-)
    printf '  %-26s %s\n' "$key" "$value"
    if [ "$smoke" -eq 1 ] && [ "$key" != Torch_DIR ] && [[ "$value" != "$bundle"/* ]]; then
      echo "gpu_check: $key is not the bundle's"
      status=1
    fi
  done
fi
stage_done $status
[ "$status" -eq 0 ] || finish

# --- 3. build -------------------------------------------------------------------------------
stage build
if [ "$smoke" -eq 1 ]; then
  # The harness, one suite of each Qt-linking kind (engine + Qt Test; storage: Qt Core, SQLite, libcrypto).
  tests=(test_adapter_paths test_seed_mix storage_sha256_test storage_schema_test)
else
  mapfile -t tests < <(cd "$build" && ctest -N -L engine -LE 'slow|peer' | sed -n 's/^ *Test *#[0-9]*: //p')
fi
targets=(lorawb bench_train_step bench_dlp_device "${tests[@]}")
echo "building ${#targets[@]} targets with -j$jobs: ${targets[*]}"
build_command=(cmake --build "$build" -j "$jobs" --target "${targets[@]}")
[ -n "$build_lock" ] && build_command=(flock "$build_lock" "${build_command[@]}")
"${build_command[@]}" >"$out/build.log" 2>&1
status=$?
grep -E 'warning:|error:' "$out/build.log" | head -20
tail -3 "$out/build.log"
stage_done $status
[ "$status" -eq 0 ] || finish

# --- 4. tests -------------------------------------------------------------------------------
stage harness
(cd "$build" && OMP_NUM_THREADS=4 ctest -R '^test_adapter_paths$' --output-on-failure -V --timeout 300) \
  >"$out/harness.log" 2>&1
status=$?
grep -E '^\S*[0-9]+: (PASS|FAIL|SKIP|QWARN|QDEBUG|\|)|Totals|tests passed|SKIPPED|cuda' "$out/harness.log" | head -80
stage_done $status

stage tests
if [ "$smoke" -eq 1 ]; then
  echo "loader check: $(ldd "$build/tests/storage/storage_sha256_test" | grep -cF "$runtime_libs") libraries of" \
    "storage_sha256_test come from the bundle:"
  ldd "$build/tests/storage/storage_sha256_test" | grep -E 'Qt6|icu|crypto|sqlite|pcre2|double|b2|zstd|glib'
  selection=(-R "^($(IFS='|'; echo "${tests[*]}"))\$" -E '^test_adapter_paths$')
else
  selection=(-L engine -LE 'slow|peer' -E '^test_adapter_paths$')
fi
# Suites in parallel, each with 2 torch threads (as tests/CMakeLists.txt's environment assumes).
(cd "$build" && OMP_NUM_THREADS=2 ctest "${selection[@]}" -j "$(((jobs + 1) / 2))" --timeout 240 \
  --output-on-failure) >"$out/tests.log" 2>&1
status=$?
grep -E 'tests passed|Total Test time|\*\*\*Failed|Not Run|Timeout|SKIPPED' "$out/tests.log" | head -40
# The CUDA kernels' own cases (kernels/README.md): PASS on a GPU in a build with nvcc, else SKIP and why.
[ "$smoke" -eq 1 ] || "$build/tests/engine/test_gathered_lora" kernelMatchesCompositionOnCuda \
  routingKernelMatchesTensorOpsOnCuda 2>&1 | grep -E '^(PASS|FAIL|SKIP)|^ +(Actual|Loc|Expected)'
stage_done $status

# --- 5. the table ---------------------------------------------------------------------------
stage table
left=$((budget - (SECONDS - started)))
table_args=(--bench-dir "$build/tests/bench" --out "$out")
if [ "$smoke" -eq 1 ]; then
  table_args+=(--cpu-smoke)
elif [ "$left" -lt 200 ]; then
  echo "gpu_check: $left s of the budget left: the ~1B shape is left out of the table"
  table_args+=(--shapes llama-125m)
fi
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || cat "$root/.gpu-bundle/commit" 2>/dev/null || echo unknown)
LWB_COMMIT=$commit "$python" "$root/tests/bench/gpu_table.py" "${table_args[@]}"
stage_done $?
finish
