#!/bin/bash
# Replay (c) of issue 22: DLP-LoRA with both plugins (kind "mlp", the paper's
# §3.1 mini-MLP; kind "encoder", the released code's transformer encoder)
# against one multi-task LoRA of equal total rank and the oracle (each
# prompt's own task LoRA), on the built-in base and task suite, over seeds.
# Each `lorawb dlp` study trains the task LoRAs, the multi-task LoRA and the
# plugin, then scores exact match per task and times inference
# (engine/dlp/dlp_study.h); a seed's two studies train the same LoRAs (the
# trainer is deterministic by seed), so the plugins differ alone.
#
#   resources/studies/run_dlp_replay.sh          (SEEDS="1 2 3" BUILD=build WORK=/tmp/dlp_replay)
#
# One thread, nice 10. Writes resources/studies/results/dlp/: each study's
# dlp_result.json, dlp_replay.csv (per seed and task) and dlp_replay.md (mean
# ± 95 % t-interval over seeds, by tests/bench/dlp_replay_table on
# storage/run_statistics.h), headed by the commit, machine and date.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
work=${WORK:-/tmp/dlp_replay}
seeds=${SEEDS:-"1 2 3"}
out=$root/resources/studies/results/dlp
mkdir -p "$work" "$out"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
began=$(date +%s)
results=()
for seed in $seeds; do
  for kind in mlp encoder; do
    name=$kind-seed$seed
    rm -rf "${work:?}/$name"
    echo "== $name: $(date -u +%H:%M:%S)"
    nice -n 10 "$build/app/lorawb" dlp "$root/resources/studies/dlp_$kind.json" --no-db \
      --set seed="$seed" --set training.output_dir="$work/$name" > "$work/$name.log" 2>&1 \
      || { echo "$name failed, see $work/$name.log"; tail -5 "$work/$name.log"; exit 1; }
    cp "$work/$name/dlp_result.json" "$out/dlp_result-$name.json"
    results+=("$out/dlp_result-$name.json")
  done
done
minutes=$(( ($(date +%s) - began + 59) / 60 ))
{
  echo "# DLP-LoRA replay: both plugins vs one multi-task LoRA vs the oracle"
  echo
  echo "- commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- engine app || echo ' (with uncommitted engine changes)')"
  echo "- machine: $(uname -srm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), 1 thread, nice 10"
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); wall time ${minutes} min"
  echo "- configs: resources/studies/dlp_mlp.json, dlp_encoder.json; seeds: $seeds"
  echo
  "$build/tests/bench/dlp_replay_table" "$out/dlp_replay.csv" "${results[@]}"
} > "$out/dlp_replay.md"
cat "$out/dlp_replay.md"
