#!/usr/bin/env bash
# `lorawb study` end to end: a 2-cell x 2-seed study on the gpt2-tiny preset
# trains its four runs into the run store, prints each cell's mean with its
# interval and the paired comparison with the baseline, writes the CSV and
# HTML report; run again it trains nothing (resumable); a run deleted from
# the store is trained again on the next call. Every shipped study
# (resources/studies/*.json) still parses and expands (--dry-run).
# usage: test_study.sh PATH/TO/lorawb
set -euo pipefail
lorawb="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME="$work/data" # run folders (checkpoints) stay in the test's folder
db="$work/runs.db"
passed=0
failed=0
check() { # check NAME COMMAND...
  if "${@:2}"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi
}

cat >"$work/base.json" <<'JSON'
{ "name": "tiny", "seed": 1, "threads": 1,
  "model": { "preset": "gpt2-tiny" },
  "data": { "source": "builtin:tasks", "tasks": ["first", "length"], "seq_len": 24 },
  "adapter": { "variant": "lora", "r": 2, "alpha": 4, "targets": ["c_attn"] },
  "training": { "steps": 6, "batch_size": 4, "lr": 0.003, "warmup_steps": 1 },
  "eval": { "every": 3, "batch_size": 16 } }
JSON
cat >"$work/study.json" <<'JSON'
{ "name": "rank-study", "base": "base.json",
  "grid": { "adapter.r": [2, 4] }, "seeds": [11, 12],
  "metric": "eval/loss", "baseline": { "adapter.r": 2 },
  "report": { "measures": [ { "series": "eval/loss", "at_step": 3 } ] } }
JSON

check "--dry-run lists the cells" bash -c "'$lorawb' study '$work/study.json' --dry-run | grep -q 'c1  adapter.r=4'"
"$lorawb" study "$work/study.json" --db "$db" --report "$work/report" >"$work/first.txt" 2>&1 || { cat "$work/first.txt"; exit 1; }
check "four runs trained" test "$(grep -c '^c[01] seed 1[12]' "$work/first.txt")" -eq 4
check "the baseline cell is marked" grep -q "c0  adapter.r=2 (baseline)" "$work/first.txt"
check "each cell has two seeds and an interval" test "$(grep -c '^      n=2 .*\[' "$work/first.txt")" -eq 2
check "the other cell is compared with the baseline" grep -q "vs baseline .* p=.* (2 paired seeds)" "$work/first.txt"
check "each cell's trainable parameters are printed" test "$(grep -c '^  c[01]  .*\[[0-9]* trainable\]' "$work/first.txt")" -eq 2
check "the report's measure is summarised per cell" test "$(grep -c 'eval/loss @ step 3: n=2 ' "$work/first.txt")" -eq 2
check "the CSV has a row per run and per cell" test "$(grep -cE ',adapter.r=[24],([0-9]|mean,)' "$work/report/study.csv")" -eq 6
check "and the measure per run and per cell" test "$(grep -c ',eval/loss @ step 3,' "$work/report/study.csv")" -eq 6
check "the HTML report is self-contained" bash -c "grep -q '<svg' '$work/report/study.html' && ! grep -q '<script\|src=' '$work/report/study.html'"
check "the runs are in the store, tagged with the study" bash -c "'$lorawb' runs list --db '$db' --tag study:rank-study | grep -c finished | grep -qx 4"

"$lorawb" study "$work/study.json" --db "$db" >"$work/second.txt" 2>&1
check "run again, it trains nothing" bash -c "! grep -q '^c[01] seed' '$work/second.txt'"
check "and reports the same table" bash -c "grep 'vs baseline' '$work/first.txt' | cmp -s - <(grep 'vs baseline' '$work/second.txt')"

first_run="$(grep -m1 '^c0 seed 11' "$work/first.txt" | sed 's/.*run \([0-9]*\)$/\1/')"
"$lorawb" runs delete "$first_run" --db "$db" --yes >/dev/null
"$lorawb" study "$work/study.json" --db "$db" >"$work/third.txt" 2>&1
check "a missing (cell, seed) is trained again" test "$(grep -c '^c0 seed 11' "$work/third.txt")" -eq 1
check "and only that one" test "$(grep -c '^c[01] seed' "$work/third.txt")" -eq 1

# What resources/studies ships must keep parsing as the config format moves
# on: each study file is dry-run (parsed, every cell expanded and validated);
# the run configs beside them (the DLP-LoRA replays, trained by `lorawb dlp`)
# are validated. A file that is neither fails with both errors shown.
shipped=("$(cd "$(dirname "$0")/../../resources/studies" && pwd)"/*.json)
check "studies are shipped" test -f "${shipped[0]}"
shipped_file_parses() { # a study that expands, or a valid run config
  "$lorawb" study "$1" --dry-run 2>&1 | grep -q ' runs, metric ' && return 0
  "$lorawb" validate "$1" >/dev/null 2>&1 && return 0
  "$lorawb" study "$1" --dry-run 2>&1 | tail -n 5
  "$lorawb" validate "$1" 2>&1 | tail -n 5
  return 1
}
for file in "${shipped[@]}"; do
  check "shipped $(basename "$file") parses (study: expands)" shipped_file_parses "$file"
done
check "the replay studies expand" bash -c "'$lorawb' study '${shipped[0]%/*}/sira_vs_lora.json' --dry-run | grep -q '27 runs' \
  && '$lorawb' study '${shipped[0]%/*}/reslora_vs_lora.json' --dry-run | grep -q '18 runs'"

printf '{ "name": "bad", "base": "base.json", "grid": { "adapter.r": [2, 0] }, "seeds": [1] }' >"$work/bad.json"
set +e
"$lorawb" study "$work/bad.json" --db "$db" >"$work/bad.txt" 2>&1
status=$?
set -e
check "a study with an invalid cell is refused before training" test "$status" -ne 0
check "the error names the cell and the key" grep -q "adapter.r: cell 1 (adapter.r=0)" "$work/bad.txt"

printf '{ "name": "bad-report", "base": "base.json", "seeds": [1],
  "report": { "measures": [ { "series": "eval/loss", "at_step": -1 } ] } }' >"$work/bad_report.json"
set +e
"$lorawb" study "$work/bad_report.json" --db "$db" >"$work/bad_report.txt" 2>&1
status=$?
set -e
check "a wrong report is refused before training" test "$status" -ne 0
check "the error names the report's key" grep -q "report.measures\[0\].at_step: must be" "$work/bad_report.txt"
check "and nothing was trained" bash -c "! grep -q '^base seed\|^c0 seed' '$work/bad_report.txt'"

echo "study: $passed passed, $failed failed"
test "$failed" -eq 0
