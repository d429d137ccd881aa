"""The tokenizer peer check (CTest `tokenizer_peer`): `lorawb tokenize`, our
engine/tokenizer BpeTokenizer, against Hugging Face `tokenizers`
(Tokenizer.from_file) on the real GPT-2, Qwen3, Llama 3 (byte-level) and
Llama 2 (SentencePiece-style) tokenizer.json files, and on the synthetic
component tokenizers of fixtures/synthetic-*/ (make_synthetic_fixtures.py),
over the corpus of corpus.py (about 5,200 strings per tokenizer).

For every string: the ids of `encode(text, add_special_tokens=False)` and of
`encode(text, add_special_tokens=True)` (`--special-tokens none/add`) must be
ours exactly, and our decode of the first must equal
`decode(ids, skip_special_tokens=False)` (`--decode keep`) and
`decode(ids, skip_special_tokens=True)` (`--decode skip`). Expected values are
computed now by the installed, pinned `tokenizers` (0.23.3 when this was
written; the run prints its version).

It has teeth: with one merge of the Qwen3 file dropped from our load, or
GPT-2's split regex changed, it fails (tests/tokenizer_peer/README.md).

usage: check_tokenizers.py LORAWB [VOCAB_DIR]
  VOCAB_DIR holds gpt2/, qwen3/, llama3/, llama2/ (tokenizer.json + tokenizer_config.json);
  $LWB_VOCAB_DIR overrides it. Exits 77 (CTest: skipped) only when the
  `tokenizers` module is missing; 1 on any mismatch.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import corpus

VOCABULARIES = ("gpt2", "qwen3", "llama3", "llama2")
SEED = 20240501
COUNTS = {"self_contained": 2400, "wordnet": 1200, "code": 800, "added": 500}
SHOWN = 3  # mismatches printed in full per vocabulary and kind


def build_corpus(reference, source_dir):
    added = [token.content for token in reference.get_added_tokens_decoder().values()]
    return (corpus.self_contained(COUNTS["self_contained"], SEED)
            + corpus.wordnet_glosses(COUNTS["wordnet"], SEED)
            + corpus.code_chunks(COUNTS["code"], SEED, source_dir)
            + corpus.with_added_tokens(COUNTS["added"], SEED, added))


def run_lorawb(lorawb, folder, options, lines):
    """One lorawb process for all lines; returns its output lines, parsed."""
    stdin = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")
    done = subprocess.run([lorawb, "tokenize", "--tokenizer", str(folder), *options], input=stdin,
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"lorawb tokenize {' '.join(options)} failed ({done.returncode}): "
                           + done.stderr.decode("utf-8", "replace"))
    # split("\n"), not splitlines(): a JSON string may hold a raw U+2028 or U+0085.
    results = [json.loads(line) for line in done.stdout.decode("utf-8").split("\n")[:-1]]
    if len(results) != len(lines):
        raise RuntimeError(f"lorawb tokenize {' '.join(options)}: {len(results)} answers to {len(lines)} lines")
    return results


def first_difference(a, b):
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def show_ids(reference, text, expected, actual):
    at = first_difference(expected, actual)

    def window(ids):
        return " ".join(f"{i}:{reference.id_to_token(i)!r}" for i in ids[max(0, at - 2):at + 6])

    return (f"  text {text[:300]!r}{' ...' if len(text) > 300 else ''}\n"
            f"    first difference at token {at} of {len(expected)} (ours: {len(actual)})\n"
            f"    tokenizers ... {window(expected)}\n"
            f"    ours       ... {window(actual)}")


def show_text(ids, expected, actual):
    at = first_difference(expected, actual)
    return (f"  ids {ids[:40]}{' ...' if len(ids) > 40 else ''}\n"
            f"    first difference at character {at}\n"
            f"    tokenizers ... {expected[max(0, at - 20):at + 40]!r}\n"
            f"    ours       ... {actual[max(0, at - 20):at + 40]!r}")


def check_vocabulary(name, folder, lorawb, source_dir, tokenizers):
    reference = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    texts = build_corpus(reference, source_dir)
    mismatches = {}
    for mode, add in (("none", False), ("add", True)):
        wanted = [e.ids for e in reference.encode_batch(texts, add_special_tokens=add)]
        ours = run_lorawb(lorawb, folder, ["--input", "jsonl", "--special-tokens", mode], texts)
        mismatches[f"encode {mode}"] = [show_ids(reference, t, e, o) for t, e, o in zip(texts, wanted, ours) if e != o]
        if not add:
            expected = wanted
    for mode, skip in (("keep", False), ("skip", True)):
        decoded = reference.decode_batch(expected, skip_special_tokens=skip)
        ours = run_lorawb(lorawb, folder, ["--decode", mode], expected)
        mismatches[f"decode {mode}"] = [show_text(i, d, o) for i, d, o in zip(expected, decoded, ours) if d != o]
    print(f"{name}: {len(texts)} strings, {sum(map(len, expected))} reference tokens; mismatches: "
          + ", ".join(f"{kind} {len(found)}" for kind, found in mismatches.items()))
    for kind, found in mismatches.items():
        for report in found[:SHOWN]:
            print(f" {name} {kind} mismatch:\n{report}")
    return sum(map(len, mismatches.values()))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    try:
        import tokenizers
    except ImportError:
        print(f"tokenizer_peer: skipped, {sys.executable} has no `tokenizers` module")
        sys.exit(77)
    lorawb = sys.argv[1]
    vocab_dir = Path(os.environ.get("LWB_VOCAB_DIR") or (sys.argv[2] if len(sys.argv) == 3 else ""))
    if not (vocab_dir / VOCABULARIES[0] / "tokenizer.json").is_file():
        sys.exit(f"tokenizer_peer: no {VOCABULARIES[0]}/tokenizer.json in '{vocab_dir}' "
                 "(pass VOCAB_DIR or set LWB_VOCAB_DIR)")
    source_dir = Path(__file__).resolve().parents[2]
    print(f"reference: tokenizers {tokenizers.__version__}; ours: {lorawb}; vocabularies: {vocab_dir}")
    folders = [(name, vocab_dir / name) for name in VOCABULARIES]
    folders += [(folder.name, folder) for folder in sorted((Path(__file__).parent / "fixtures").glob("synthetic-*"))]
    failures = sum(check_vocabulary(name, folder, lorawb, source_dir, tokenizers) for name, folder in folders)
    print("OK: no mismatches" if failures == 0 else f"FAILED: {failures} mismatches")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
