#!/usr/bin/env bash
# Data-parallel runs from the command line, on loopback: `lorawb launch
# --nproc 2` and `torchrun --no-python --nproc-per-node 2 lorawb train` each
# train a LoRA job to the end on 2 Gloo ranks; rank 0 alone prints and
# records it (one run in the store, finished, on "x 2 ranks (gloo)"); the
# final loss equals a single-process run's to float tolerance; a resume on 2
# ranks continues; Ctrl-C stops both ranks at a step boundary with a
# checkpoint; a resume with another world size is refused naming the checkpoint.
# usage: test_distributed.sh PATH/TO/lorawb PATH/TO/python   (77 = skipped: no torchrun)
set -euo pipefail
lorawb="$1"
python="$2"
torchrun="$(dirname "$python")/torchrun"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME="$work/data"
passed=0
failed=0
check() { # check NAME COMMAND...
  if "${@:2}"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi
}
final_loss() { grep '^step' "$1" | tail -1 | grep -o 'loss [0-9.]*' | cut -d' ' -f2; } # the last training step's
close() { "$python" -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(abs(a - b) > 2e-4)" "$1" "$2"; } # printed to 4 decimals

cat >"$work/job.json" <<'JSON'
{ "name": "dp-cli", "seed": 3, "threads": 1,
  "model": { "preset": "llama-tiny" },
  "data": { "eval_examples": 8 },
  "adapter": { "variant": "lora", "r": 4, "alpha": 8, "dropout": 0.0 },
  "training": { "steps": 4, "batch_size": 4, "grad_accum": 1, "warmup_steps": 1, "collective_timeout_s": 60 },
  "eval": { "every": 0, "batch_size": 8, "final": "limited", "max_examples": 8 } }
JSON

"$lorawb" train "$work/job.json" --db "$work/single.db" >"$work/single.out" 2>&1
single="$(final_loss "$work/single.out")"

"$lorawb" launch --nproc 2 "$work/job.json" --db "$work/launch.db" >"$work/launch.out" 2>&1
check "launch: both ranks finish" grep -q "launching 2 ranks" "$work/launch.out"
check "launch: rank 0 prints each step once" test "$(grep -c '^step' "$work/launch.out" || true)" -le 5
check "launch: the loss is the single-process loss" close "$single" "$(final_loss "$work/launch.out")"
runs="$("$lorawb" runs list --db "$work/launch.db")"
check "launch: one run recorded, on 2 ranks" test "$(grep -c 'dp-cli' <<<"$runs")" -eq 1
check "launch: recorded as finished" grep -q finished <<<"$runs"

# A resume on the same world size continues the 2-rank run.
check "launch: a resume on 2 ranks continues" "$lorawb" launch --nproc 2 "$work/job.json" --no-db \
  --set training.steps=6 --set "training.resume_from=$(grep -o 'checkpoint @ step 4: .*' "$work/launch.out" | tail -1 | cut -d' ' -f5)"

# Ctrl-C reaches every rank: they stop together at a step boundary, rank 0 checkpoints, status 130.
"$lorawb" launch --nproc 2 "$work/job.json" --no-db --set training.steps=100000 >"$work/interrupt.out" 2>&1 &
launcher=$!
for _ in $(seq 600); do grep -q '^step' "$work/interrupt.out" && break; sleep 0.5; done
kill -INT "$launcher"
status=0
wait "$launcher" || status=$?
check "Ctrl-C: launch exits 130" test "$status" -eq 130
check "Ctrl-C: the run is cancelled with a checkpoint" grep -q "resume with" "$work/interrupt.out"

# A resume with another world size: refused, naming the checkpoint.
checkpoint="$(grep -o 'checkpoint @ step 4: .*' "$work/launch.out" | tail -1 | cut -d' ' -f5)"
if "$lorawb" train "$work/job.json" --no-db --set training.steps=6 --set "training.resume_from=$checkpoint" >"$work/resume.out" 2>&1; then
  check "resume on another world size is refused" false
else
  check "resume on another world size is refused" grep -q "rank(s); this one has 1" "$work/resume.out"
fi

if [[ -x "$torchrun" ]]; then
  port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "$torchrun" --no-python --nproc-per-node 2 --master-addr 127.0.0.1 --master-port "$port" \
    "$lorawb" train "$work/job.json" --db "$work/torchrun.db" >"$work/torchrun.out" 2>&1 || { cat "$work/torchrun.out"; false; }
  check "torchrun: the loss is the single-process loss" close "$single" "$(final_loss "$work/torchrun.out")"
  check "torchrun: one run recorded" test "$("$lorawb" runs list --db "$work/torchrun.db" | grep -c 'dp-cli')" -eq 1
else
  echo "skipped: no torchrun beside $python"
fi
echo "passed $passed, failed $failed"
[[ $failed -eq 0 ]]
