#!/usr/bin/env bash
# The run store under hostile input and a failing disk, through `lorawb train`
# and `lorawb export` as a person runs them:
# - a run named with quotes, a semicolon + SQL, "../" and Unicode is stored
#   byte for byte; exported under such a name, the folder stays inside --out;
# - the disk filling up during a run (a file-size limit, RLIMIT_FSIZE, with
#   SIGXFSZ ignored so the write fails with EFBIG as on a full disk) stops the
#   run with an error naming the database file;
# - a read-only database (mode 0444; for root, who ignores modes, a read-only
#   bind mount) stops the run before training, naming the file;
# after each, PRAGMA integrity_check is ok and the run stored first is exactly
# as it was (every row of it, compared by Python's sqlite3).
# usage: test_storage_faults.sh PATH/TO/lorawb SOURCE_DIR
set -euo pipefail
lorawb="$1"
source_dir="$2"
config="$source_dir/resources/configs/lora_default.json"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="$work/store/runs.db"
mkdir -p "$work/store"
passed=0
failed=0
check() { # check NAME COMMAND...
  if "${@:2}"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi
}
python=python3
command -v "$python" >/dev/null || { echo "SKIPPED: no python3 for the sqlite3 checks"; exit 77; }

tiny=(--set 'model={"preset": "gpt2-tiny", "num_hidden_layers": 2, "hidden_size": 64}'
      --set 'adapter.targets=["c_attn"]' --set training.batch_size=2 --set eval.every=0
      --set eval.final=off --set training.checkpoint_every=0 --set threads=1)

# Every row that belongs to run 1, as one text: equal texts, unchanged run.
snapshot() {
  "$python" - "$db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for table, key in [("runs", "id"), ("run_tags", "run_id"), ("scalar_samples", "run_id"),
                   ("vector_samples", "run_id"), ("evaluations", "run_id"), ("artifacts", "run_id")]:
    for row in sorted(map(repr, db.execute(f"SELECT * FROM {table} WHERE {key} = 1"))):
        print(table, row)
PY
}
integrity() { "$python" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$db"; }
stored_name() { "$python" -c 'import sqlite3, sys; sys.stdout.write(sqlite3.connect(sys.argv[1]).execute("SELECT name FROM runs WHERE id = ?", (int(sys.argv[2]),)).fetchone()[0])' "$db" "$1"; }

# 1. A hostile name, stored exactly and exported safely.
hostile=$'it\'s "x"; DROP TABLE runs; -- ../../etc Ünïcödé 日本 🚀'
"$lorawb" train "$config" "${tiny[@]}" --set training.steps=20 --set training.output_dir="$work/out1" \
  --set "name=$hostile" --db "$db" >"$work/train1.txt" 2>&1
check "the hostile name is stored byte for byte" test "$(stored_name 1)" = "$hostile"
mkdir -p "$work/exports"
"$lorawb" export 1 --format peft --out "$work/exports" --name "../../$hostile" --db "$db" >"$work/export.txt" 2>&1
inside="$(find "$work/exports" -mindepth 1 -maxdepth 1 -type d | wc -l)"
check "the export lands inside --out" test "$inside" -eq 1
listing="$(find "$work" -mindepth 1 -maxdepth 1 | LC_ALL=C sort)"
expected="$(printf '%s\n' "$work/export.txt" "$work/exports" "$work/out1" "$work/store" "$work/train1.txt" | LC_ALL=C sort)"
check "nothing is written beside --out" test "$listing" = "$expected"
check "the exported folder holds the adapter" test -n "$(find "$work/exports" -name adapter_model.safetensors)"
before="$(snapshot)"
check "run 1 is stored" test -n "$before"

# 2. The disk fills up during a run.
size_kib=$(( ($(stat -c %s "$db") + 1023) / 1024 + 24 ))
set +e
( trap '' XFSZ; ulimit -f "$size_kib"; exec timeout 300 "$lorawb" train "$config" "${tiny[@]}" \
    --set training.steps=100000 --set training.output_dir="$work/out2" --db "$db" ) >"$work/full.txt" 2>&1
status=$?
set -e
check "a full disk stops the run (exit 1)" test "$status" -eq 1
check "the error names the database file" grep -qF "$db" "$work/full.txt"
check "the error says the training stopped" grep -q "training stopped" "$work/full.txt"
check "the store passes integrity_check after a full disk" test "$(integrity)" = ok
check "run 1 is unchanged after a full disk" test "$(snapshot)" = "$before"

# 3. A read-only database: the file's mode for a normal user; for root, who
# writes whatever the mode says, a read-only bind mount of its folder (EROFS).
store="$work/store"
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$work/ro"
  if mount --bind "$work/store" "$work/ro" 2>/dev/null && mount -o remount,bind,ro "$work/ro" 2>/dev/null; then
    trap 'umount "$work/ro" 2>/dev/null || true; rm -rf "$work"' EXIT
    store="$work/ro"
  else
    umount "$work/ro" 2>/dev/null || true
    store=""
    echo "SKIPPED part 3: root here cannot make a read-only mount"
  fi
else
  chmod 0444 "$db"
fi
if [ -n "$store" ]; then
  set +e
  "$lorawb" train "$config" "${tiny[@]}" --set training.steps=20 \
    --set training.output_dir="$work/out3" --db "$store/runs.db" >"$work/readonly.txt" 2>&1
  status=$?
  set -e
  check "a read-only database stops the run (exit 1)" test "$status" -eq 1
  check "the error names the read-only file" grep -qF "$store/runs.db" "$work/readonly.txt"
  check "the error says read-only" grep -qiE "read-only|readonly" "$work/readonly.txt"
  check "no step trained on a read-only store" bash -c "! grep -q '^step ' '$work/readonly.txt'"
  [ "$store" = "$work/ro" ] && umount "$work/ro"
  chmod 0644 "$db"
  check "the store passes integrity_check after read-only" test "$(integrity)" = ok
  check "run 1 is unchanged after read-only" test "$(snapshot)" = "$before"
fi

echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
  for f in "$work"/*.txt; do echo "== $f"; tail -n 20 "$f"; done
fi
[ "$failed" -eq 0 ]
