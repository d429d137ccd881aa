#!/usr/bin/env bash
# clang-tidy (Debian 12's clang-tidy 14, the checks of .clang-tidy) over the
# .cpp files of the named layers, every warning an error (issue 23).
#   check_tidy.sh SOURCE_DIR BUILD_DIR LAYER...   e.g. storage, or engine app ui
# CTest runs it over storage/ (torch- and Qt-free: a few seconds a file); the
# layers that include LibTorch take 20-40 s a file, so the whole tree is a
# documented command (README "Code style"), not part of every CI run.
# GCC's precompiled headers (cmake_pch.hxx.gch) are not clang's: the compile
# commands are rewritten to include a copy of each cmake_pch.hxx with no .gch
# beside it, so clang-tidy parses the same headers as text.
set -euo pipefail
root="${1:?usage: check_tidy.sh SOURCE_DIR BUILD_DIR LAYER...}"
build="${2:?usage: check_tidy.sh SOURCE_DIR BUILD_DIR LAYER...}"
shift 2
tidy="$(command -v clang-tidy-14 || true)"
if [ -z "$tidy" ]; then
  echo "check_tidy: clang-tidy-14 is not installed (packaging/setup.sh installs clang-tidy)" >&2
  exit 1
fi
if [ ! -f "$build/compile_commands.json" ]; then
  echo "check_tidy: $build/compile_commands.json is missing (configure the build first)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$build/compile_commands.json" "$work" <<'PY'
import json, os, shutil, sys
source, work = sys.argv[1], sys.argv[2]
entries = json.load(open(source))
copies = {}
for entry in entries:
    words = entry["command"].split(" ")
    kept = []
    for word in words:
        if word == "-Winvalid-pch":
            continue
        if word.endswith("/cmake_pch.hxx"):
            if word not in copies:
                copies[word] = os.path.join(work, "pch%d" % len(copies), "cmake_pch.hxx")
                os.makedirs(os.path.dirname(copies[word]))
                shutil.copy(word, copies[word])
            word = copies[word]
        kept.append(word)
    entry["command"] = " ".join(kept)
json.dump(entries, open(os.path.join(work, "compile_commands.json"), "w"))
PY
cd "$root"
files=()
for layer in "$@"; do
  while IFS= read -r file; do files+=("$file"); done < <(find "$layer" -name '*.cpp' | sort)
done
jobs="${LWB_JOBS:-$(nproc)}"
log="$work/tidy.log"
status=0
printf '%s\n' "${files[@]}" \
  | xargs -P "$jobs" -n 1 "$tidy" -p "$work" --quiet --warnings-as-errors='*' >"$log" 2>/dev/null || status=$?
grep -E "(warning|error):" "$log" | sort -u || true
if [ "$status" -ne 0 ]; then
  echo "check_tidy: clang-tidy reported problems in ${#files[@]} files of $* (above)" >&2
  exit 1
fi
echo "check_tidy: ${#files[@]} files of $* clean"
