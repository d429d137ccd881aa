"""Writes the committed fixtures fixtures/synthetic-*/ : small tokenizers that
exercise the tokenizer.json components no published vocabulary in
shared/vocab uses (Split behaviors, Digits, Punctuation, Whitespace,
WhitespaceSplit, Metaspace "first"/"never", Strip, Lowercase, NFKC, Replace
with a regex, StripAccents, Roberta/Bert/Template post-processing, added-token
flags, continuing_subword_prefix, end_of_word_suffix, the WordPiece, BPE and
Metaspace decoders, byte fallback without a normalizer).

Each tokenizer is built and trained with Hugging Face `tokenizers`' own Python
API (BpeTrainer on a fixed corpus), saved as tokenizer.json, and its expected
output computed by that same library: for every self-contained corpus string
(corpus.py) plus the texts below, the ids of encode(text) with
add_special_tokens False ("ids") and True ("ids_special"), decode(ids) with
special tokens kept and skipped (stored where they differ from the text), and
for the pairs the ids of encode(first, second) both ways. test_bpe_tokenizer
(quickFixturesMatchPeer) checks them without Python; check_tokenizers.py
also runs its full corpus on each of these tokenizers.

usage: make_synthetic_fixtures.py     (the project's .venv python)
"""

import json
from pathlib import Path

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

import corpus

HERE = Path(__file__).resolve().parent
SEED = 20240501
STRINGS = 60  # random self-contained strings, after the edge cases

TRAINING = (corpus.self_contained(400, SEED + 1)
            + [" ".join(words) for words in corpus.WORDS.values()] * 20
            + ["The quick brown fox jumps over the lazy dog. It's 2024-05-01, 12:30; price $4.99!"] * 30)

FEATURE_TEXTS = [
    "a-b--c,,d e  f", "x1y22z333 -4- ,5,", "Hello, World! (tests) [1,2] {a:b}", "--lead trail--",
    "<mask> <mask>x x<mask> [MASK] masked", "  <mask>  ", "word<rs>  next", "<sw> in<sw>word <sw>.",
    "<NORM> <norm> NoRm", "ǅemo ﬁne ① ＡＢＣ Ⅻ", "  padded  ", "\u2581 marker \u2581\u2581 two",
    "caf\u00e9 cafe\u0301 na\u00efve", "\u00c5ngstr\u00f6m \u0130stanbul \u03a3\u039f\u03a3", "tab\tand\nnewline",
]
PAIRS = [("Hello world", "second part"), ("", "only second"), ("first only", ""), ("a <mask> b", "x1y2")]


def trained(tokenizer, model_options):
    trainer = trainers.BpeTrainer(vocab_size=600, min_frequency=2, show_progress=False, **model_options)
    tokenizer.train_from_iterator(TRAINING, trainer)
    return tokenizer


def wordpiece_style():
    """NFKC, Lowercase, Strip; Whitespace-free splitting by Split behaviors,
    Digits and Punctuation; "##" continuing subwords; Bert processing."""
    tok = Tokenizer(models.BPE(unk_token="[UNK]", fuse_unk=True, continuing_subword_prefix="##"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase(), normalizers.Strip()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Split("-", behavior="merged_with_previous"),
        pre_tokenizers.Split(Regex(r"[0-9]+"), behavior="merged_with_next"),
        pre_tokenizers.Split(",", behavior="contiguous"),
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.Punctuation(behavior="isolated"),
    ])
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    trained(tok, {"special_tokens": ["[UNK]", "[CLS]", "[SEP]", "[MASK]"], "continuing_subword_prefix": "##"})
    tok.post_processor = processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")),
                                                   ("[CLS]", tok.token_to_id("[CLS]")))
    tok.add_tokens([AddedToken("<sw>", single_word=True, normalized=True)])
    return tok


def suffix_style():
    """Whitespace pre-tokenizer, "</w>" end-of-word suffix, BPEDecoder,
    Roberta processing, added tokens with lstrip/rstrip/normalized."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", end_of_word_suffix="</w>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(),
                                           normalizers.Replace(Regex(r"\d"), "0")])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\s+"), behavior="removed"),
        pre_tokenizers.Split(Regex(r"\w+|[^\w\s]+"), behavior="removed", invert=True),
        pre_tokenizers.Whitespace(),
    ])
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    trained(tok, {"special_tokens": ["<s>", "<pad>", "</s>", "<unk>"], "end_of_word_suffix": "</w>"})
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")),
                                                      ("<s>", tok.token_to_id("<s>")))
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False)])
    tok.add_tokens([AddedToken("<rs>", rstrip=True, normalized=False), AddedToken("<NORM>", normalized=True)])
    return tok


def metaspace_first():
    """Metaspace prepend_scheme "first" with split, byte fallback, the
    ByteFallback + Replace + Strip + Fuse decoders, a pair template."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=True)
    # Strip with stop > 0 panics in tokenizers on an empty token, which the
    # Metaspace decoder makes of a lone first "\u2581"; so it runs before.
    tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Replace("\u2581", " "),
                                     decoders.Strip(" ", 0, 1), decoders.Fuse()])
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    trained(tok, {"special_tokens": ["<unk>", "<s>", "</s>"] + byte_tokens, "limit_alphabet": 60})
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> $B:1 </s>:1",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
    tok.add_special_tokens([AddedToken("<mask>", single_word=False, normalized=False)])
    return tok


def metaspace_never():
    """Metaspace "never" without split over a Replace/Prepend-free text, the
    Metaspace decoder alone, a ByteLevel + Template processor sequence."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Strip(left=False, right=True)])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="never", split=False),
    ])
    tok.decoder = decoders.Sequence([decoders.Metaspace(replacement="\u2581", prepend_scheme="never"),
                                     decoders.Replace(Regex(r" {2,}"), " ")])
    trained(tok, {"special_tokens": ["<unk>", "<bos>"], "limit_alphabet": 80})
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<bos> $A", pair="<bos> $A <bos> $B",
                                      special_tokens=[("<bos>", tok.token_to_id("<bos>"))])])
    return tok


BUILDERS = {"wordpiece-style": wordpiece_style, "suffix-style": suffix_style,
            "metaspace-first": metaspace_first, "metaspace-never": metaspace_never}


def write_fixture(name, tokenizer, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "tokenizer.json"
    tokenizer.save(str(path))
    # Reload: the expected values are those of the file as committed.
    reference = Tokenizer.from_file(str(path))
    cases = []
    for text in corpus.self_contained(STRINGS, SEED) + FEATURE_TEXTS:
        ids = reference.encode(text, add_special_tokens=False).ids
        case = {"text": text, "ids": ids, "ids_special": reference.encode(text).ids}
        for key, skip in (("decode_keep", False), ("decode_skip", True)):
            decoded = reference.decode(ids, skip_special_tokens=skip)
            if decoded != text:
                case[key] = decoded
        cases.append(case)
    pairs = [{"first": a, "second": b, "ids": reference.encode(a, b, add_special_tokens=False).ids,
              "ids_special": reference.encode(a, b).ids} for a, b in PAIRS]
    head = {"generator": "tests/tokenizer_peer/make_synthetic_fixtures.py", "peer": f"tokenizers {tokenizers.__version__}",
            "name": f"synthetic-{name}", "source": BUILDERS[name].__doc__.strip().replace("\n   ", ""),
            "tokenizer": "tokenizer.json"}
    # One case per line keeps the committed fixture diffable.
    pair_lines = ",\n".join("    " + json.dumps(pair, ensure_ascii=False) for pair in pairs)
    lines = ",\n".join("    " + json.dumps(case, ensure_ascii=False) for case in cases)
    (out_dir / "expected.json").write_text(json.dumps(head, indent=2, ensure_ascii=False)[:-2]
                                           + f',\n  "pairs": [\n{pair_lines}\n  ],\n  "cases": [\n{lines}\n  ]\n}}\n',
                                           encoding="utf-8")
    print(f"{out_dir}: {len(cases)} strings, {len(pairs)} pairs, tokenizers {tokenizers.__version__}")


def main():
    for name, build in BUILDERS.items():
        write_fixture(name, build(), HERE / "fixtures" / f"synthetic-{name}")


if __name__ == "__main__":
    main()
