"""Writes the committed fixtures fixtures/synthetic-*/ : small tokenizers that
exercise the tokenizer.json components no published vocabulary in
shared/vocab uses (Split behaviors, Digits, Punctuation, Whitespace,
WhitespaceSplit, Metaspace "first"/"never", Strip, Lowercase, NFKC, Replace
with a regex, StripAccents, Roberta/Bert/Template post-processing, added-token
flags, continuing_subword_prefix, end_of_word_suffix, the WordPiece, BPE and
Metaspace decoders, byte fallback without a normalizer) and the Unigram and
WordPiece models (trained with UnigramTrainer/WordPieceTrainer, with and
without byte_fallback, BertNormalizer; a hand-made Unigram vocabulary whose
scores tie).

Each tokenizer is built and trained with Hugging Face `tokenizers`' own Python
API (BpeTrainer, UnigramTrainer or WordPieceTrainer on a fixed corpus), saved as tokenizer.json, and its expected
output computed by that same library: for every self-contained corpus string
(corpus.py) plus the texts below, the ids of encode(text) with
add_special_tokens False ("ids") and True ("ids_special"), decode(ids) with
special tokens kept and skipped (stored where they differ from the text), and
for the pairs the ids of encode(first, second) both ways. test_bpe_tokenizer
(quickFixturesMatchPeer) checks them without Python; check_tokenizers.py
also runs its full corpus on each of these tokenizers.

usage: make_synthetic_fixtures.py [NAME...]   (the project's .venv python; all by default)
"""

import json
import sys
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


# Unigram and WordPiece learn from words of a few scripts only, so that the
# corpus's other characters take the unk, fused-unk and byte-fallback paths.
FEW_SCRIPTS = ([" ".join(corpus.WORDS[name]) for name in ("english", "french", "german", "greek", "cyrillic")] * 20
               + ["The quick brown fox jumps over the lazy dog. It's 2024-05-01, 12:30; price $4.99!"] * 30
               + [text for text in corpus.self_contained(400, SEED + 2) if text.isascii()])


def trained_unigram(tokenizer, byte_fallback):
    """UnigramTrainer on FEW_SCRIPTS; with byte_fallback, the model is rebuilt
    with the 256 <0xNN> pieces after the specials (score 0, as SentencePiece
    writes byte pieces), since the trainer keeps neither."""
    trainer = trainers.UnigramTrainer(vocab_size=700, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>",
                                      max_piece_length=10, show_progress=False)
    tokenizer.train_from_iterator(FEW_SCRIPTS, trainer)
    if not byte_fallback:
        return tokenizer
    # The trainer also learns "</s>" from the corpus as a second piece; the
    # rebuilt vocabulary keeps the special one only, and the special tokens
    # are added again so that their ids are the rebuilt model's.
    specials = ["<pad>", "</s>", "<unk>"]
    pieces = [tuple(piece) for piece in json.loads(tokenizer.to_str())["model"]["vocab"]]
    pieces = (pieces[:3] + [(f"<0x{b:02X}>", 0.0) for b in range(256)]
              + [piece for piece in pieces[3:] if piece[0] not in specials])
    rebuilt = Tokenizer(models.Unigram(pieces, 2, True))
    rebuilt.normalizer, rebuilt.pre_tokenizer, rebuilt.decoder = (tokenizer.normalizer, tokenizer.pre_tokenizer,
                                                                  tokenizer.decoder)
    rebuilt.add_special_tokens(specials)
    return rebuilt


def unigram_plain():
    """Unigram (T5-style): NFKC, Metaspace, unk_id without byte fallback (unknown
    characters fused into one unk), Metaspace decoder, a "$A </s>" template."""
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    trained_unigram(tok, byte_fallback=False)
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", tok.token_to_id("</s>"))])
    tok.add_special_tokens([AddedToken("<mask>", normalized=False)])
    return tok


def unigram_byte_fallback():
    """Unigram with byte_fallback (<0xNN> pieces), Metaspace "first" without
    a normalizer, the ByteFallback + Metaspace + Fuse decoders."""
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False)
    tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(prepend_scheme="first"),
                                     decoders.Fuse()])
    return trained_unigram(tok, byte_fallback=True)


# Scores that sum to exact ties (powers of two) and to near-ties that only
# f64 addition decides (-0.1 + -0.2 is not -0.3), for strings made of them.
TIE_PIECES = [("<unk>", 0.0), ("a", -1.0), ("b", -1.0), ("c", -2.0), ("ab", -2.0), ("ba", -2.0), ("bc", -3.0),
              ("ca", -3.0), ("aba", -3.0), ("bab", -3.0), ("abc", -4.0), ("cab", -5.0), ("abab", -4.0),
              ("x", -0.1), ("y", -0.2), ("xy", -0.30000000000000004), ("yx", -0.3), ("z", -0.5), ("xyz", -0.8),
              ("zx", -0.6), ("\u00e9", -1.0), ("e", -0.5), ("\u0301", -0.5), ("\u00e9a", -2.0), ("<0x41>", -9.0)]
TIE_TEXTS = ["abab", "ababab", "aba", "bab", "abc", "cab", "abcab", "cabab", "bcab", "cabc", "xy", "yx", "xyx", "yxy",
             "xyz", "zxy", "xyzxy", "yxz", "qab", "abq", "qqab", "aqqb", "q\u00e9a", "\u00e9a", "e\u0301a", "ab ab",
             "A", "AB", "\u00c9", "\U0001F642ab", "ba\U0001F642\U0001F643ab"]


def unigram_ties():
    """A hand-made Unigram vocabulary whose scores tie exactly or only by f64
    rounding, no normalizer, WhitespaceSplit; checks the Viterbi's tie order
    and the fusion of unknown characters."""
    tok = Tokenizer(models.Unigram(TIE_PIECES, 0, True))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Fuse()])
    tok.add_special_tokens([AddedToken("<s>", normalized=False)])
    return tok


def wordpiece_bert():
    """WordPiece (BERT): BertNormalizer (clean text, CJK spacing, lowercase and
    strip accents), BertPreTokenizer, "##" continuing subwords,
    max_input_chars_per_word 12, the WordPiece decoder, Bert processing."""
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=12))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    trainer = trainers.WordPieceTrainer(vocab_size=700, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
                                        continuing_subword_prefix="##", show_progress=False)
    tok.train_from_iterator(FEW_SCRIPTS, trainer)
    tok.post_processor = processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")),
                                                   ("[CLS]", tok.token_to_id("[CLS]")))
    return tok


def wordpiece_cased():
    """WordPiece cased: BertNormalizer without lowercase, accents or CJK
    spacing, Whitespace pre-tokenizer, "@@" prefix, the WordPiece decoder
    without cleanup, a [CLS] $A [SEP] template."""
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", continuing_subword_prefix="@@"))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False,
                                                lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.decoder = decoders.WordPiece(prefix="@@", cleanup=False)
    trainer = trainers.WordPieceTrainer(vocab_size=900, special_tokens=["[UNK]", "[CLS]", "[SEP]"],
                                        continuing_subword_prefix="@@", show_progress=False)
    tok.train_from_iterator(FEW_SCRIPTS, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    return tok


BUILDERS = {"wordpiece-style": wordpiece_style, "suffix-style": suffix_style,
            "metaspace-first": metaspace_first, "metaspace-never": metaspace_never,
            "unigram": unigram_plain, "unigram-byte-fallback": unigram_byte_fallback, "unigram-ties": unigram_ties,
            "wordpiece-bert": wordpiece_bert, "wordpiece-cased": wordpiece_cased}
EXTRA_TEXTS = {"unigram-ties": TIE_TEXTS}


def serde_json_reading(value):
    """The f64 serde_json (default features) reads for the shortest text of
    `value`: the digits into an integer, one rounding to f64, then one
    multiply or divide by a correctly rounded power of ten. What
    engine/tokenizer/serde_json_float.cpp computes."""
    text = repr(float(value))
    negative, text = text.startswith("-"), text.lstrip("-")
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    significand, power = int(whole + fraction), int(exponent or 0) - len(fraction)
    result = float(significand) * float(f"1e{power}") if power >= 0 else float(significand) / float(f"1e{-power}")
    return -result if negative else result


def check_scores(path, reference):
    """Unigram scores: the crate must have read each as serde_json_reading
    says (else our loader would differ from it); prints how many that is not
    the correctly rounded value, the cases the C++ reader must get right."""
    written = json.loads(path.read_text(encoding="utf-8"))["model"]
    if written.get("type") != "Unigram":
        return
    parsed = json.loads(reference.to_str())["model"]["vocab"]
    wrong = [(w[0], w[1], p[1]) for w, p in zip(written["vocab"], parsed) if serde_json_reading(w[1]) != p[1]]
    if wrong:
        sys.exit(f"{path}: tokenizers read these scores otherwise than serde_json_reading: {wrong[:5]}")
    off = sum(1 for w in written["vocab"] if serde_json_reading(w[1]) != float(w[1]))
    print(f"{path}: {len(written['vocab'])} scores, {off} of them read one unit off the correctly rounded value")


def write_fixture(name, tokenizer, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "tokenizer.json"
    tokenizer.save(str(path))
    # Reload: the expected values are those of the file as committed.
    reference = Tokenizer.from_file(str(path))
    cases = []
    check_scores(path, reference)
    for text in corpus.self_contained(STRINGS, SEED) + FEATURE_TEXTS + EXTRA_TEXTS.get(name, []):
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
    names = sys.argv[1:] or list(BUILDERS)
    unknown = [name for name in names if name not in BUILDERS]
    if unknown:
        sys.exit(f"unknown fixture {unknown[0]!r}; known: {', '.join(BUILDERS)}")
    for name in names:
        write_fixture(name, BUILDERS[name](), HERE / "fixtures" / f"synthetic-{name}")


if __name__ == "__main__":
    main()
