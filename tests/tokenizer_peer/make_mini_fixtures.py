"""Writes the committed fixtures fixtures/{qwen3,llama3,llama2}-mini/ for
test_bpe_tokenizer's quickFixturesMatchPeer, which runs without Python.

Each real tokenizer.json (shared/vocab) is cut to its first 4,000 merges: the
vocabulary keeps the 256 byte symbols (SentencePiece-style Llama 2: its
special and <0xNN> byte tokens and every single character) and the tokens
those merges make; the
normalizer, pre-tokenizer, decoder, model flags, added tokens and ids stay as
they are. Encoding with it differs from the full tokenizer (fewer merges) but
is fully specified, so Hugging Face `tokenizers` gives its expected output:
for each self-contained corpus string (corpus.py) the ids of
encode(text, add_special_tokens=False), and decode(ids) with special tokens
kept and skipped (stored only where they differ from the text).

One renumbering: tokenizers ignores the ids tokenizer.json writes for added
tokens and numbers them in file order after the model's vocabulary (0.23.3:
a vocabulary of 3 entries and an added token written as id 1000 gives it id
3). In the published files the two agree; in a cut, whose vocabulary ends
near 4,000, they do not. The cut keeps the real ids (test_tokenizer_runs
trains on them), so the expected ids give each added token its written id
(added_ids() checks the rule above first); the segmentation is tokenizers'.

usage: make_mini_fixtures.py [VOCAB_DIR]   (default: ../../../shared/vocab, or $LWB_VOCAB_DIR)
Run with the project's .venv python; the fixture records the tokenizers version.
"""

import json
import os
import sys
from pathlib import Path

import tokenizers

import corpus

HERE = Path(__file__).resolve().parent
MERGES = 4000
STRINGS = 160  # random ones, after the edge cases
SEED = 20240501
CONFIG_KEYS = ("tokenizer_class", "bos_token", "eos_token", "pad_token", "unk_token", "add_prefix_space",
               "clean_up_tokenization_spaces")


def byte_alphabet():
    """GPT-2's printable stand-in for each byte, in byte order."""
    direct = [*range(33, 127), *range(161, 173), *range(174, 256)]
    extra = iter(range(256, 512))
    return [chr(b) if b in direct else chr(next(extra)) for b in range(256)]


def cut(source, max_merges):
    model = source["model"]
    if model.get("byte_fallback"):
        # SentencePiece-style: the specials, the <0xNN> byte tokens and every
        # single character stay (what a piece starts from), then the merges.
        vocab = {token: i for token, i in model["vocab"].items()
                 if len(token) == 1 or (token.startswith("<") and token.endswith(">"))}
    else:
        vocab = {symbol: model["vocab"][symbol] for symbol in byte_alphabet()}
    merges = []
    for merge in model["merges"]:
        if len(merges) >= max_merges:
            break
        left, right = merge if isinstance(merge, list) else merge.split(" ")
        if left in vocab and right in vocab:  # else it needs a token this cut dropped
            vocab[left + right] = model["vocab"][left + right]
            merges.append(merge)
    return {**source, "model": {**model, "vocab": vocab, "merges": merges}}


def added_ids(reference, tokenizer_path):
    """tokenizers' id of each added token -> the id tokenizer.json writes."""
    written = json.loads(tokenizer_path.read_text(encoding="utf-8"))["added_tokens"]
    first = reference.get_vocab_size(with_added_tokens=False)
    mapping = {}
    model_vocab = json.loads(tokenizer_path.read_text(encoding="utf-8"))["model"]["vocab"]
    written = [token for token in written if token["content"] not in model_vocab]  # those keep the model's id
    for index, token in enumerate(written):
        assigned = reference.token_to_id(token["content"])
        if assigned != first + index:
            raise RuntimeError(f"{tokenizer_path}: tokenizers gave {token['content']} id {assigned}, "
                               f"not {first + index}: its numbering of added tokens changed")
        mapping[assigned] = token["id"]
    return mapping


def write_fixture(name, source_dir, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    source = json.loads((source_dir / "tokenizer.json").read_text(encoding="utf-8"))
    # Compact, as JSON.stringify wrote the earlier ones, so an unchanged cut diffs as unchanged.
    mini_path = out_dir / "tokenizer.json"
    mini_path.write_text(json.dumps(cut(source, MERGES), ensure_ascii=False, separators=(",", ":")) + "\n",
                         encoding="utf-8")
    config = json.loads((source_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    kept = {key: config[key] for key in CONFIG_KEYS if key in config}
    (out_dir / "tokenizer_config.json").write_text(json.dumps(kept, indent=2, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")

    reference = tokenizers.Tokenizer.from_file(str(mini_path))
    written_ids = added_ids(reference, mini_path)
    cases = []
    for text in corpus.self_contained(STRINGS, SEED):
        own_ids = reference.encode(text, add_special_tokens=False).ids
        ids = [written_ids.get(i, i) for i in own_ids]
        case = {"text": text, "ids": ids}
        for key, skip in (("decode_keep", False), ("decode_skip", True)):
            decoded = reference.decode(own_ids, skip_special_tokens=skip)
            if decoded != text:
                case[key] = decoded
        cases.append(case)
    head = {"generator": "tests/tokenizer_peer/make_mini_fixtures.py", "peer": f"tokenizers {tokenizers.__version__}",
            "name": f"{name}-mini", "source": f"shared/vocab/{name}, first {MERGES} merges",
            "tokenizer": "tokenizer.json"}
    # One case per line keeps the committed fixture diffable.
    lines = ",\n".join("    " + json.dumps(case, ensure_ascii=False) for case in cases)
    (out_dir / "expected.json").write_text(json.dumps(head, indent=2, ensure_ascii=False)[:-2]
                                           + f',\n  "cases": [\n{lines}\n  ]\n}}\n', encoding="utf-8")
    print(f"{out_dir}: {len(cases)} strings, tokenizers {tokenizers.__version__}")


def main():
    vocab_dir = Path(os.environ.get("LWB_VOCAB_DIR") or (sys.argv[1] if len(sys.argv) > 1
                                                         else HERE.parents[2] / "shared" / "vocab"))
    for name in ("qwen3", "llama3", "llama2"):
        write_fixture(name, vocab_dir / name, HERE / "fixtures" / f"{name}-mini")


if __name__ == "__main__":
    main()
