#!/usr/bin/env python3
"""clang-tidy over the .cpp files of some layers, in parallel, skipping files
whose exact input was already found clean (check_tidy.sh is the entry point).

Why a cache: clang-tidy 14 runs its matchers over the whole AST of a
translation unit, LibTorch's headers included, so a file that includes torch
costs 20-40 s of checks however little of it is ours (a clang-built PCH of
torch does not help: the matchers then deserialize the whole PCH and the file
took 57 s instead of 35 s). What makes repeated runs cheap is not checking a
file whose input has not changed. The key of a file is the SHA-256 of its
preprocessed text (clang++ -E -P -C with the build's flags: the file and every
header it reaches, ours and LibTorch's, with the macros applied; comments
kept, so a NOLINT counts), the
.clang-tidy file and the clang-tidy version; only clean results are kept
(an empty file named by the key), so a finding is reported on every run until
it is fixed. Preprocessing costs about 0.5-1 s a file.

The cache lives beside ccache's, in ~/.cache/lora-workbench/tidy
(LWB_TIDY_CACHE overrides it), so a fresh clone or build folder on the same
machine starts warm; keys hold no paths of the clone.

GCC's precompiled headers (cmake_pch.hxx.gch) are not clang's: each compile
command's cmake_pch.hxx is copied to a folder without the .gch, so clang
parses the same headers as text.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def rewritten_commands(build, work):
    """compile_commands.json with GCC's PCH replaced by a text copy of it."""
    entries = json.load(open(os.path.join(build, "compile_commands.json")))
    copies = {}
    by_file = {}
    for entry in entries:
        words = shlex.split(entry["command"])
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
        entry["command"] = " ".join(shlex.quote(word) for word in kept)
        by_file[os.path.realpath(entry["file"])] = (entry["directory"], kept)
    json.dump(entries, open(os.path.join(work, "compile_commands.json"), "w"))
    return by_file


def preprocess_args(words):
    """The compile command as a clang++ -E -P command (no output file, no -c)."""
    args = []
    skip = False
    for word in words[1:]:
        if skip:
            skip = False
            continue
        if word in ("-o", "-c"):
            skip = True
            continue
        args.append(word)
    return ["clang++-14", "-E", "-P", "-C", "-Wno-everything"] + args


def cache_key(root, path, directory, words, salt):
    """SHA-256 of the file's preprocessed text (paths of the clone removed) and salt."""
    run = subprocess.run(preprocess_args(words) + [path], cwd=directory, capture_output=True)
    if run.returncode != 0:
        return None  # clang-tidy will report why
    digest = hashlib.sha256(salt)
    digest.update(os.path.relpath(path, root).encode())
    digest.update(run.stdout.replace(root.encode(), b"@SRC@"))
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source")
    parser.add_argument("build")
    parser.add_argument("layers", nargs="+", help="folders (layers or their subfolders) or single .cpp files")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("LWB_JOBS", os.cpu_count() or 1)))
    parser.add_argument("--no-cache", action="store_true", help="check every file (the cache is still filled)")
    options = parser.parse_args()
    root = os.path.realpath(options.source)
    cache = os.environ.get("LWB_TIDY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lora-workbench", "tidy")
    os.makedirs(cache, exist_ok=True)
    tidy = shutil.which("clang-tidy-14")
    version = subprocess.run([tidy, "--version"], capture_output=True, text=True).stdout
    salt = (version + open(os.path.join(root, ".clang-tidy")).read()).encode()

    started = time.monotonic()
    # A stopped run (CTest's timeout, kill) still removes its folder of rewritten commands.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix="lwb-tidy-")
    try:
        commands = rewritten_commands(options.build, work)
        files = []
        for layer in options.layers:
            if layer.endswith(".cpp"):  # one file, e.g. to re-check a fix
                files.append(os.path.join(root, layer))
                continue
            for folder, _, names in sorted(os.walk(os.path.join(root, layer))):
                files += [os.path.join(folder, name) for name in sorted(names) if name.endswith(".cpp")]
        missing = [path for path in files if os.path.realpath(path) not in commands]
        files = [path for path in files if os.path.realpath(path) in commands]

        def check(path):
            directory, words = commands[os.path.realpath(path)]
            clock = time.monotonic()
            key = cache_key(root, path, directory, words, salt)
            if key is not None and not options.no_cache and os.path.exists(os.path.join(cache, key)):
                return path, "cached", "", time.monotonic() - clock
            run = subprocess.run([tidy, "-p", work, "--quiet", "--warnings-as-errors=*", path],
                                 capture_output=True, text=True)
            if run.returncode == 0 and key is not None:
                open(os.path.join(cache, key), "w").close()
            return path, "clean" if run.returncode == 0 else "problems", run.stdout, time.monotonic() - clock

        results = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
            for path, state, output, seconds in pool.map(check, files):
                results.append((path, state, seconds))
                if state == "problems":
                    print(output.rstrip(), flush=True)
                if os.environ.get("LWB_TIDY_VERBOSE"):
                    print("%6.1f s %-8s %s" % (seconds, state, os.path.relpath(path, root)), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    counts = {state: sum(1 for _, s, _ in results if s == state) for state in ("cached", "clean", "problems")}
    checked = [seconds for _, state, seconds in results if state != "cached"]
    slowest = max(results, key=lambda result: result[2]) if results else None
    print("check_tidy: %d files of %s in %.0f s with %d jobs: %d clean from the cache, %d checked clean, "
          "%d with problems%s" % (len(results), " ".join(options.layers), time.monotonic() - started,
                                   options.jobs, counts["cached"], counts["clean"], counts["problems"],
                                   " (%.0f s of checks; slowest %s %.0f s)" % (
                                       sum(checked), os.path.relpath(slowest[0], root), slowest[2])
                                   if checked else ""))
    if missing:
        print("check_tidy: not in compile_commands.json (not built, so not checked): "
              + " ".join(os.path.relpath(path, root) for path in missing))
    return 1 if counts["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
