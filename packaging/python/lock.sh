#!/usr/bin/env bash
# Regenerates requirements.lock from requirements.in: pip resolves the pins
# for this platform (Linux x86_64, the interpreter that runs this script) and
# reports every chosen file with its sha256; the lock lists them all, so
# setup.sh installs with --require-hashes and nothing unpinned slips in.
# Run after changing requirements.in:  packaging/python/lock.sh [PYTHON]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${1:-python3}"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
"$python" -m pip install --quiet --dry-run --ignore-installed --report "$report" -r "$here/requirements.in"
"$python" - "$report" "$here/requirements.lock" <<'PY'
import json, sys
report, out = sys.argv[1], sys.argv[2]
rows = []
for item in json.load(open(report))["install"]:
    meta = item["metadata"]
    digest = item["download_info"]["archive_info"]["hashes"]["sha256"]
    rows.append(f"{meta['name']}=={meta['version']} --hash=sha256:{digest}")
with open(out, "w") as f:
    f.write("# Made by packaging/python/lock.sh from requirements.in; do not edit by hand.\n")
    f.write("\n".join(sorted(rows, key=str.lower)) + "\n")
PY
echo "lock: $(grep -c -- --hash "$here/requirements.lock") packages in $here/requirements.lock"
