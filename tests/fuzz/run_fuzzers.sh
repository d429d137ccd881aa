#!/bin/bash
# Runs every fuzz harness (or the ones named) one after the other and prints
# a table: harness, executions, exec/s, corpus size, coverage, result.
#
#   tests/fuzz/run_fuzzers.sh [SECONDS | --runs N] [HARNESS ...]
#
# SECONDS (default 30) is each harness's time; --runs N runs each for N
# executions instead (with LWB_FUZZ_MAX_SECONDS as a cap, default none).
# HARNESS: names without "fuzz_" (safetensors, run_store, ...); default all.
#
# Builds the harnesses first, configuring $LWB_FUZZ_BUILD (default
# build-fuzz/ beside this checkout's build/) with clang when it does not
# exist (LWB_FUZZ_NO_BUILD=1 runs what is built); compiles hold $LWB_BUILD_LOCK (default /tmp/lwb-build.lock) so that
# builds sharing a machine take turns. Fuzzers run under `nice -n 10`, one at
# a time. Each harness mutates its own work corpus in the build folder,
# seeded from corpus/<harness>/ (never written to); a finding leaves its
# input in <build>/fuzz-artifacts/<harness>/ and its log in
# <build>/fuzz-logs/<harness>.log. Exit status: 0 when every harness ran
# clean, 1 when one found something.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="$(cd "$here/../.." && pwd)"
build="${LWB_FUZZ_BUILD:-$source_dir/build-fuzz}"
lock="${LWB_BUILD_LOCK:-/tmp/lwb-build.lock}"
all=(safetensors sharded_index tokenizer_json tokenizer_text chat_template run_config jsonl_line
     peft_config sira_manifest dlp_manifest run_store)

seconds=30
runs=""
if [[ "${1:-}" == "--runs" ]]; then
  runs="${2:?--runs needs a count}"
  shift 2
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds="$1"
  shift
fi
harnesses=("$@")
[[ ${#harnesses[@]} -gt 0 ]] || harnesses=("${all[@]}")

locked() { if command -v flock >/dev/null; then flock "$lock" "$@"; else "$@"; fi; }

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  locked cmake -S "$source_dir" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DLWB_BUILD_FUZZERS=ON -DLWB_BUILD_GUI=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
if [[ -z "${LWB_FUZZ_NO_BUILD:-}" ]]; then
  targets=()
  for h in "${harnesses[@]}"; do targets+=(--target "fuzz_$h"); done
  locked cmake --build "$build" -j2 "${targets[@]}" >/dev/null
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OMP_NUM_THREADS=1 # torch's thread pool: one fuzzer, one core
mkdir -p "$build/fuzz-logs"

status=0
rows=()
for h in "${harnesses[@]}"; do
  work="$build/fuzz-work/$h"
  artifacts="$build/fuzz-artifacts/$h/"
  log="$build/fuzz-logs/$h.log"
  mkdir -p "$work" "$artifacts"
  options=(-timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$artifacts")
  [[ -f "$here/dict/$h.dict" ]] && options+=(-dict="$here/dict/$h.dict")
  if [[ -n "$runs" ]]; then
    options+=(-runs="$runs")
    [[ -n "${LWB_FUZZ_MAX_SECONDS:-}" ]] && options+=(-max_total_time="$LWB_FUZZ_MAX_SECONDS")
  else
    options+=(-max_total_time="$seconds")
  fi
  set +e
  (cd "$build" && nice -n 10 "$build/tests/fuzz/fuzz_$h" "${options[@]}" "$work" "$here/corpus/$h") >"$log" 2>&1
  rc=$?
  set -e
  executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' <<<"$last" | sed 's/cov: \([0-9]*\) ft: \([0-9]*\)/\1 edges, \2 features/' || true)
  corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' <<<"$last" | sed 's/corp: //' || true)
  if [[ $rc -eq 0 ]]; then
    result="clean"
  else
    status=1
    kind=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+|runtime error: .{0,60}|terminate called .{0,60}' "$log" || echo "exit $rc")
    input=$(grep -m1 -oE "Test unit written to [^ ]+" "$log" | sed 's/Test unit written to //' || true)
    result="FINDING: $kind ${input:+($input)}"
  fi
  rows+=("| fuzz_$h | ${executions:-?} | ${speed:-?} | ${corpus:-?} | ${coverage:-?} | $result |")
  echo "fuzz_$h: ${executions:-?} executions, $result" >&2
done

echo
echo "| harness | executions | exec/s | corpus (inputs/bytes) | coverage | result |"
echo "| --- | ---: | ---: | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
exit $status
