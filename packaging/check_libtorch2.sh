#!/usr/bin/env bash
# Does the engine (and the CLI/GUI sources that include torch) compile against
# LibTorch 2.x? Debian 12 ships 1.13 only, so this downloads Debian trixie's
# libtorch-dev and libtorch (2.6) into a scratch folder — nothing is installed —
# and compiles every engine/, app/ and kernels/ translation unit of an existing
# build's compile_commands.json with -fsyntax-only against those headers (the
# project's own flags; the torch PCH replaced by engine/pch.h).
#
# usage: packaging/check_libtorch2.sh [BUILD_DIR] [JOBS] [MATCH]   (default: build, 2, every unit)
# MATCH: a regular expression; only the units whose path it matches (e.g. "sira|cpu_gemm").
# Needs deb.debian.org. Prints each failing unit with its first errors; exits 1
# when any fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
jobs="${2:-2}"
match="${3:-}"
scratch="${LWB_LIBTORCH2_DIR:-/tmp/lwb-libtorch2}"
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json: configure the build first" >&2; exit 1; }

if [ ! -d "$scratch/root/usr/include/torch" ]; then
  mkdir -p "$scratch"/{lists/partial,cache/archives/partial,root}
  echo "deb http://deb.debian.org/debian trixie main" >"$scratch/sources.list"
  touch "$scratch/status"
  apt_options=(-o "Dir::Etc::sourcelist=$scratch/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$scratch/lists"
               -o "Dir::Cache=$scratch/cache" -o "Dir::State::status=$scratch/status")
  apt-get "${apt_options[@]}" update >/dev/null
  version="$(apt-cache "${apt_options[@]}" show libtorch-dev | sed -n 's/^Depends: .*\(libtorch2\.[0-9]*\) .*/\1/p' | head -1)"
  (cd "$scratch" && apt-get "${apt_options[@]}" download libtorch-dev "$version" >/dev/null 2>&1)
  for deb in "$scratch"/*.deb; do dpkg-deb -x "$deb" "$scratch/root"; done
fi
echo "LibTorch headers: $(ls "$scratch"/*.deb | xargs -n1 basename | tr '\n' ' ')"

python3 - "$build/compile_commands.json" "$root" "$scratch/root/usr/include" "$jobs" "$match" <<'PY'
import concurrent.futures, json, re, shlex, subprocess, sys
commands, root, include, jobs, match = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
units = []
for entry in json.load(open(commands)):
    source = entry["file"]
    if not source.startswith(tuple(f"{root}/{folder}/" for folder in ("engine", "app", "kernels"))):
        continue
    if match and not re.search(match, source):
        continue
    words, args, i = shlex.split(entry["command"]), [], 0
    while i < len(words):
        word = words[i]
        if word.endswith("ccache") or word in ("-MD", "-Winvalid-pch", "-c"):
            i += 1
        elif word in ("-MT", "-MF", "-o"):
            i += 2
        elif word == "-include" and words[i + 1].endswith("cmake_pch.hxx"):
            args += ["-include", f"{root}/engine/pch.h"]; i += 2
        elif word == "-isystem" and words[i + 1].endswith("/torch/csrc/api/include"):
            args += ["-isystem", include, "-isystem", f"{include}/torch/csrc/api/include"]; i += 2
        else:
            args.append(word); i += 1
    units.append((source, args + ["-fsyntax-only", source], entry["directory"]))

def compile_unit(unit):
    source, args, directory = unit
    done = subprocess.run(args, cwd=directory, capture_output=True, text=True)
    return source, done.returncode, done.stderr

failed = 0
with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
    for source, code, errors in pool.map(compile_unit, units):
        if code != 0:
            failed += 1
            print(f"FAIL {source}\n" + "\n".join(errors.splitlines()[:15]), flush=True)
print(f"{len(units)} translation units against LibTorch 2.x headers: {failed} failed")
sys.exit(1 if failed else 0)
PY
