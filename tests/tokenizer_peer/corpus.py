"""The deterministic text corpus of the tokenizer check (check_tokenizers.py)
and of the committed mini fixtures (make_mini_fixtures.py).

Every section draws from its own random.Random, seeded from one number and
the section's name, so a section's strings do not move when another section
changes. Two kinds of sections:
- self-contained ones (edge cases, random mixes of fragments, runs of one
  script, emoji sequences, whitespace runs, numbers, combining marks and
  precomposed characters of every Unicode version, any assigned characters):
  the same strings on every machine; the committed fixtures use only these;
- ones read at run time: WordNet glosses (Debian wordnet-base, the text after
  '|' on each data line), chunks of this repository's C++ and Python sources,
  and texts built around a tokenizer's own added tokens. They are
  deterministic for a given machine, tree and tokenizer.json.

Characters are those Unicode 14 assigns (Python 3.11's unicodedata, the
tables of our PCRE2 10.42), so that a character class never differs only
because one side knows a newer Unicode.
"""

import random
import unicodedata
from pathlib import Path

EDGE_CASES = [
    "",
    " ",
    "  ",
    "\n",
    "\t\t",
    "\r\n",
    "\r\n\r\n",
    " \n \n ",
    " " * 100,
    "\n" * 20,
    "\t \t \n\r\n \u3000\n",
    "Hello world",
    " Hello world",
    "Hello  world   ",
    "   leading and trailing   ",
    "hello\n\nworld\r\n",
    "line one\r\nline two\rline three\n",
    "it's I'M we'Ve THEY'LL she'd DON'T you're",
    "'s 't 're 've 'm 'll 'd",
    "it\u2019s don\u2019t",
    "12345678901234567890",
    "3.14159 2,718 1e-10 0x1F -42",
    "abc123def 1a2b3c 4567890xyz",
    "\u0661\u0662\u0663 \u0967\u0968\u0969 \uff11\uff12\uff13 \u00b2\u00b3 \u00bd \u216b \u2460",
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>",
    "<|endoftext|><|endoftext|>",
    " <|endoftext|> ",
    "<|begin_of_text|>Hello<|end_of_text|>",
    "<|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>",
    "<|im_start|<|im_start|><|endoftext|<|endoftext|>>",
    "<think>\nreasoning\n</think>\n\nanswer",
    "<tool_call>{\"name\": \"f\"}</tool_call>",
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9",
    "cafe\u0301 nai\u0308ve",  # decomposed: NFC (Qwen) composes them
    "\uff21\uff42\uff43\uff11\uff12\uff13",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002",
    "\u4e2d\u6587\u6587\u672c\uff0c\u6807\u70b9\u7b26\u53f7\uff01",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
    "\u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u0442\u0435\u043a\u0441\u0442, \u0451\u0436\u0438\u043a.",
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u03b3\u03c1\u03ac\u03bc\u03bc\u03b1\u03c4\u03b1",
    "\u05e2\u05d1\u05e8\u05d9\u05ea \u05d5\u05e0\u05e7\u05d5\u05d3\u05d5\u05ea",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u0648\u0627\u0644\u0623\u0631\u0642\u0627\u0645 \u0661\u0662\u0663",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u092a\u093e\u0920",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22",
    "\U0001f44b\U0001f3fd \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 \U0001f1eb\U0001f1f7 \u2764\ufe0f \U0001f9ea",
    "    indented\n\tcode",
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "\u00a0non-breaking\u3000ideographic\u2002en space",
    "a\u200bzero\u200cwidth\u200djoiners",
    "next\u0085line and\ufeffbom",  # \s differs between regex engines on these two
    "!!!???...,,,;;;",
    "\"quoted\" 'single' \u00abguillemets\u00bb \u201ccurly\u201d \u2018apostrophe\u2019s\u2019",
    # SentencePiece-style BPE (Llama 2): the "\u2581" marker itself, spaces
    # and line breaks around words, text around the specials, characters
    # with no piece of their own (byte fallback), byte-token spellings.
    "\u2581",
    "\u2581\u2581hello \u2581world\u2581",
    "a\u2581b \u2581 c",
    " leading",
    "   three leading",
    "trailing   ",
    "two  spaces   three    four",
    "\nnewline first\n",
    "<s>",
    "<s>Hello</s>",
    " <s> spaced </s> ",
    "<unk><s></s>",
    "text<s>text",
    "<0x0A> <0xFF> <0xZZ> <0x41>",
    "\x00\x01\x07\x1b[0m\x7f",
    "\ufffd replacement \ufffd",
    "\U0001fae0\U0001f9cc\U0001fac3",
    "\u9fa5\u3400\U00020000\U0002a700",
    "\ua9c1\u16a0\u2c00\U00010330",
]

WORDS = {
    "english": ["the", "The", "THE", "quick", "Brown", "fox", "JUMPS", "over", "lazy", "dog", "tokenizer",
                "LoRA", "adapter", "gradient", "Transformer", "hello", "World", "a", "I", "na\u00efve",
                "co\u00f6perate", "r\u00f4le"],
    "french": ["\u00e9t\u00e9", "gar\u00e7on", "\u0153uvre", "No\u00ebl", "d\u00e9j\u00e0", "fran\u00e7ais",
               "\u00e9l\u00e8ve", "\u00e0", "o\u00f9"],
    "german": ["Stra\u00dfe", "Gr\u00f6\u00dfe", "\u00dcberm\u00e4\u00dfig", "sch\u00f6n", "M\u00e4dchen",
               "Fu\u00dfball"],
    "vietnamese": ["Ti\u1ebfng Vi\u1ec7t", "ng\u01b0\u1eddi", "\u0111\u01b0\u1eddng"],
    "decomposed": ["e\u0301te\u0301", "n\u0303", "A\u030a", "o\u0308", "u\u0308ber", "C\u0327a"],
    "greek": ["\u03bb\u03cc\u03b3\u03bf\u03c2", "\u0391\u03b8\u03ae\u03bd\u03b1", "\u03a9\u039c\u0395\u0393\u0391",
              "\u1f00\u03c1\u03c7\u03ae"],
    "cyrillic": ["\u043f\u0440\u0438\u0432\u0435\u0442", "\u041c\u043e\u0441\u043a\u0432\u0430",
                 "\u0401\u041b\u041a\u0410", "\u0443\u043a\u0440\u0430\u0457\u043d\u0441\u044c\u043a\u0430"],
    "arabic": ["\u0645\u0631\u062d\u0628\u0627", "\u0643\u062a\u0627\u0628", "\u0627\u0644\u0633\u0644\u0627\u0645",
               "\u0663\u0664\u0665"],
    "hebrew": ["\u05e9\u05dc\u05d5\u05dd", "\u05e1\u05e4\u05e8", "\u05e2\u05d5\u05dc\u05dd"],
    "devanagari": ["\u0928\u092e\u0938\u094d\u0924\u0947", "\u092d\u093e\u0930\u0924",
                   "\u0938\u0902\u0938\u094d\u0915\u0943\u0924", "\u0967\u0968\u0969"],
    "chinese": ["\u4f60\u597d", "\u4e16\u754c", "\u673a\u5668\u5b66\u4e60", "\u6a21\u578b", "\u9f8d"],
    "japanese": ["\u3053\u3093\u306b\u3061\u306f", "\u30ab\u30bf\u30ab\u30ca", "\u6f22\u5b57",
                 "\uff76\uff80\uff76\uff85"],
    "korean": ["\uc548\ub155\ud558\uc138\uc694", "\uc138\uacc4", "\ud55c\uae00"],
    "thai": ["\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "\u0e20\u0e32\u0e29\u0e32", "\u0e44\u0e17\u0e22"],
    "symbols": ["\u2211", "\u222bdx", "\u221a2", "\u2264\u2265\u2260", "\u2192", "\u20ac100", "\u00a3", "\u00b0C",
                "\u2116", "\u00a9\u00ae\u2122", "\u00bd", "\u00b5s", "\u2126", "\ufb01", "\u2167"],
}

# Specials of GPT-2, Qwen3 and Llama 3, and near misses: every tokenizer sees
# the others' as plain text.
SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>",
            "<|start_header_id|>", "<|end_header_id|>", "<think>", "</think>", "<tool_call>", "</tool_call>",
            "<|fim_prefix|>", "<|im_start", "|>", "<|", "<|reserved_special_token_3|>", "<|ENDOFTEXT|>"]

CONTRACTIONS = ["it's", "IT'S", "It'S", "we've", "WE'VE", "We'Ve", "I'm", "I'M", "they'll", "THEY'LL", "She'd",
                "don't", "DON'T", "Don'T", "you're", "YOU'RE", "o'clock", "rock'n'roll", "'tis", "'S", "''", "'",
                "isn\u2019t", "l'homme", "'90s"]

CODE_LINES = [
    "int main() { return 0; }", "std::vector<int64_t> ids;", "if (x != nullptr && y->z) {",
    "def forward(self, x):", "    return torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(d)",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}", "SELECT * FROM runs WHERE id = 42;",
    "git commit -m \"Fix bug\" && make -j2", "x <<= 2; y >>= 1; z ^= ~w;", "#include <torch/torch.h>",
    "console.log(`template ${value}`);", "fn main() -> Result<(), Box<dyn Error>> {",
    "<div class=\"a\">&nbsp;</div>", "path/to/file_name.safetensors", "https://example.org/a?b=c&d=e#f",
    "a_b_c__d", "CamelCaseIdentifier", "snake_case_name", "kConstantValue",
]

PUNCTUATION = list("!?.,;:-()[]{}\"'`~@#$%^&*_+=|\\/<>") + [
    "...", "\u2014", "\u00ab", "\u00bb", "\u00bf", "\u00a1", "\u3001", "\u3002", "\uff01", "\u2026"]

SPACES = [" ", "  ", "   ", "        ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n ", "\n\t", "   \n", "\u00a0",
          "\u3000", "\u2003", " \u00a0 ", "\n\n\n\n", "\r", "\f", "\v", "\u0085", "\u2028", "\r\n\r\n", "\t\n  \t"]

# Blocks for runs of one script; (first, last) code points, unassigned ones skipped.
SCRIPT_BLOCKS = {
    "latin": [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF)],
    "cyrillic": [(0x400, 0x4FF)],
    "greek": [(0x370, 0x3FF), (0x1F00, 0x1FFE)],
    "arabic": [(0x600, 0x6FF)],
    "hebrew": [(0x591, 0x5F4)],
    "devanagari": [(0x900, 0x97F)],
    "thai": [(0xE01, 0xE5B)],
    "cjk": [(0x4E00, 0x9FA5), (0x3000, 0x303F), (0xFF01, 0xFF5E)],
    "kana": [(0x3041, 0x3096), (0x30A1, 0x30FA), (0xFF66, 0xFF9D)],
    "hangul": [(0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3131, 0x318E)],
    "combining": [(0x300, 0x36F)],
}

EMOJI = ["\U0001f600", "\U0001f680", "\U0001f44d", "\U0001f469", "\U0001f468", "\U0001f467", "\U0001f466",
         "\U0001f91d", "\U0001f4bb", "\U0001f52c", "\U0001f3f3", "\U0001f308", "\U0001f916", "\u2728",
         "\U0001f525", "\u2615", "\U0001f972", "\u2764", "\U0001f9d1", "\U0001f3c3", "\u26a1", "\U0001f44b",
         "\u2640", "\u2642", "\U0001f9ea", "\U0001f408", "\u2b1b", "\U0001f30d", "\u270d", "\U0001fae0"]
SKIN_TONES = [chr(c) for c in range(0x1F3FB, 0x1F400)]
ZWJ = "\u200d"
VS16 = "\ufe0f"


def _rng(seed, name):
    return random.Random(f"{seed}/{name}")


def _assigned(first, last):
    return [chr(c) for c in range(first, last + 1) if unicodedata.category(chr(c)) != "Cn"]


_BLOCK_CHARS = {name: [ch for first, last in ranges for ch in _assigned(first, last)]
                for name, ranges in SCRIPT_BLOCKS.items()}
# Every assigned character but surrogates, up to plane 3.
_ANY_CHARS = [ch for ch in _assigned(0x20, 0x3FFFF) if unicodedata.category(ch) != "Cs"]
# Marks with a combining class (NFC reorders them) and characters with a
# canonical decomposition (NFC composes or replaces them), of every Unicode
# version to 14: a normalizer on older tables treats the newer ones differently.
_MARKS = [ch for ch in _ANY_CHARS if unicodedata.combining(ch)]
_COMPOSED = [ch for ch in _ANY_CHARS if unicodedata.decomposition(ch) and not unicodedata.decomposition(ch).startswith("<")]


def _number(rng):
    def digits(n):
        return "".join(rng.choice("0123456789") for _ in range(n))

    return rng.choice([
        lambda: digits(rng.randint(1, 3)),
        lambda: digits(rng.randint(4, 30)),
        lambda: digits(rng.randint(1, 4)) + "." + digits(rng.randint(1, 6)),
        lambda: digits(1) + "," + digits(3) + "," + digits(3),
        lambda: "-" + digits(2) + "e" + digits(2),
        lambda: "0x" + "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(rng.randint(1, 16))),
        lambda: "#" + digits(3) + "-" + digits(4),
        lambda: rng.choice(WORDS["english"]) + digits(rng.randint(1, 5)),
        # other scripts' digits, superscripts, fractions, roman numerals: \p{N} but not [0-9]
        lambda: "".join(chr(rng.choice([0x660, 0x966, 0xFF10]) + rng.randint(0, 9)) for _ in range(rng.randint(1, 6))),
        lambda: rng.choice(["\u00b2", "\u00b3", "\u00bd", "\u00be", "\u2160", "\u216b", "\u2460", "\u2089"]),
    ])()


def _fragment(rng):
    roll = rng.random()
    if roll < 0.40:
        return rng.choice(WORDS[rng.choice(list(WORDS))])
    if roll < 0.50:
        return _number(rng)
    if roll < 0.60:
        return rng.choice(CONTRACTIONS)
    if roll < 0.68:
        return rng.choice(CODE_LINES)
    if roll < 0.76:
        return rng.choice(SPECIALS)
    if roll < 0.80:
        return _emoji(rng)
    if roll < 0.90:
        return rng.choice(PUNCTUATION)
    return rng.choice(SPACES)


def _mix(rng):
    text = rng.choice(SPACES) if rng.random() < 0.2 else ""
    for _ in range(rng.randint(1, 14)):
        text += _fragment(rng)
        gap = rng.random()
        if gap < 0.55:
            text += " "
        elif gap < 0.70:
            text += rng.choice(SPACES)
    return text


def _script_run(rng):
    """Random characters of one or two scripts, words split by spaces or
    punctuation, Latin letters sometimes followed by combining marks."""
    scripts = rng.sample([s for s in SCRIPT_BLOCKS if s != "combining"], rng.choice([1, 1, 2]))
    words = []
    for _ in range(rng.randint(1, 10)):
        chars = _BLOCK_CHARS[rng.choice(scripts)]
        word = ""
        for _ in range(rng.randint(1, 8)):
            word += rng.choice(chars)
            if rng.random() < 0.1:
                word += rng.choice(_BLOCK_CHARS["combining"])
        words.append(word)
    return "".join(w + rng.choice([" ", " ", " ", "", "\n", ", ", ". ", "\u3000"]) for w in words)


def _marks(rng):
    """Bases followed by runs of combining marks, precomposed characters
    (CJK compatibility ideographs among them), decomposed ones and Hangul
    jamo that compose into syllables."""
    text = ""
    for _ in range(rng.randint(1, 6)):
        kind = rng.randrange(4)
        if kind == 0:
            text += rng.choice(_BLOCK_CHARS["latin"] + _BLOCK_CHARS["greek"] + _BLOCK_CHARS["cyrillic"])
            text += "".join(rng.choice(_MARKS) for _ in range(rng.randint(1, 4)))
        elif kind == 1:
            text += rng.choice(_COMPOSED)
        elif kind == 2:
            text += unicodedata.normalize("NFD", rng.choice(_COMPOSED)) + rng.choice(["", rng.choice(_MARKS)])
        else:  # leading, vowel and (maybe) trailing jamo
            text += chr(0x1100 + rng.randrange(19)) + chr(0x1161 + rng.randrange(21)) + rng.choice(
                ["", chr(0x11A8 + rng.randrange(27))])
        text += rng.choice(["", "", " ", "\n"])
    return text


def _anything(rng):
    """Any assigned characters, with a few spaces, letters and digits."""
    return "".join(rng.choice(_ANY_CHARS) if rng.random() < 0.7 else rng.choice(" \n\tab1")
                   for _ in range(rng.randint(1, 30)))


def _emoji(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return rng.choice(EMOJI)
    if kind == 1:  # skin tone
        return rng.choice(EMOJI) + rng.choice(SKIN_TONES)
    if kind == 2:  # ZWJ sequence, optionally toned and with VS16
        parts = [rng.choice(EMOJI) + (rng.choice(SKIN_TONES) if rng.random() < 0.3 else "")
                 for _ in range(rng.randint(2, 4))]
        return ZWJ.join(p + (VS16 if rng.random() < 0.3 else "") for p in parts)
    if kind == 3:  # flag: two regional indicators (some not a country)
        return "".join(chr(0x1F1E6 + rng.randrange(26)) for _ in range(2))
    if kind == 4:  # keycap
        return rng.choice("0123456789#*") + VS16 + "\u20e3"
    return rng.choice(EMOJI) + VS16


def _emoji_text(rng):
    text = ""
    for _ in range(rng.randint(1, 8)):
        text += _emoji(rng) if rng.random() < 0.7 else rng.choice(WORDS["english"])
        text += rng.choice(["", "", " ", "  ", "\n", "!"])
    return text


def _whitespace_text(rng):
    """Runs of spaces, tabs and line breaks around short words, leading and
    trailing: what the \\s+(?!\\S) and \\s*[\\r\\n]+ rules of the split regexes
    divide."""
    text = ""
    for _ in range(rng.randint(1, 8)):
        run = "".join(rng.choice([" ", " ", " ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000"])
                      for _ in range(rng.randint(1, 12)))
        text += run + (rng.choice(WORDS["english"] + CODE_LINES[:4] + ["", "x", "1"]) if rng.random() < 0.8 else "")
    return text


def _sentencepiece(rng):
    """What SentencePiece-style BPE (Llama 2) treats specially: the "\u2581"
    marker in the text, space runs (each space becomes a marker), line
    breaks, the special tokens, byte-token spellings, and characters that
    have no piece and fall back to <0xNN> byte tokens."""
    text = ""
    for _ in range(rng.randint(1, 10)):
        roll = rng.random()
        if roll < 0.3:
            text += rng.choice(WORDS["english"] + WORDS["german"])
        elif roll < 0.45:
            text += rng.choice(["\u2581", "\u2581\u2581", "\u2581 ", " \u2581", "<s>", "</s>", "<unk>", "<0x0A>", "<0x"])
        elif roll < 0.6:
            text += rng.choice(_ANY_CHARS)
        elif roll < 0.7:
            text += chr(rng.randint(0, 31))
        elif roll < 0.8:
            text += _emoji(rng)
        else:
            text += rng.choice(SPACES)
        text += rng.choice(["", " ", " ", "  ", "\n"])
    return text


SELF_CONTAINED = {  # section -> (maker, share of the random strings)
    "mix": (_mix, 0.35),
    "script": (_script_run, 0.20),
    "emoji": (_emoji_text, 0.12),
    "whitespace": (_whitespace_text, 0.12),
    "number": (lambda rng: " ".join(_number(rng) for _ in range(rng.randint(1, 8))), 0.08),
    "marks": (_marks, 0.08),
    "anything": (_anything, 0.05),
    "sentencepiece": (_sentencepiece, 0.10),
}


def self_contained(count, seed):
    """The edge cases, then `count` seeded random strings of every
    self-contained section in their shares."""
    texts = list(EDGE_CASES)
    for name, (make, share) in SELF_CONTAINED.items():
        rng = _rng(seed, name)
        texts += [make(rng) for _ in range(round(count * share))]
    return texts


def wordnet_glosses(count, seed, wordnet_dir="/usr/share/wordnet"):
    """`count` texts of one to five WordNet glosses (definitions and quoted
    examples), joined by spaces or newlines."""
    glosses = []
    for part in ("noun", "verb", "adj", "adv"):
        path = Path(wordnet_dir) / f"data.{part}"
        with open(path, encoding="utf-8") as data:
            for line in data:
                if not line.startswith("  ") and " | " in line:  # license header lines start with two spaces
                    glosses.append(line.split(" | ", 1)[1].rstrip("\n"))
    if not glosses:
        raise RuntimeError(f"no WordNet glosses in {wordnet_dir} (Debian package wordnet-base)")
    rng = _rng(seed, "wordnet")
    return [rng.choice([" ", "\n", "\n\n", "  "]).join(rng.sample(glosses, rng.choice([1, 1, 2, 3, 5])))
            for _ in range(count)]


CODE_FOLDERS = ("app", "engine", "kernels", "storage", "ui", "tests")
CODE_SUFFIXES = (".cpp", ".h", ".cu", ".cuh", ".py")


def code_chunks(count, seed, source_dir):
    """`count` runs of 1 to 60 consecutive lines (a line keeps its '\\n') of
    the repository's C++ and Python sources, read now."""
    root = Path(source_dir)
    files = sorted(p for folder in CODE_FOLDERS for p in (root / folder).rglob("*")
                   if p.suffix in CODE_SUFFIXES and p.is_file())
    if not files:
        raise RuntimeError(f"no C++ or Python sources under {root}")
    rng = _rng(seed, "code")
    chunks = []
    while len(chunks) < count:
        lines = rng.choice(files).read_text(encoding="utf-8").splitlines(keepends=True)
        if not lines:
            continue
        start = rng.randrange(len(lines))
        chunks.append("".join(lines[start:start + rng.randint(1, 60)]))
    return chunks


def with_added_tokens(count, seed, added):
    """`count` texts built around a tokenizer's own added tokens (`added`:
    their contents): chat turns, tokens glued to words or spaced, repeated,
    cut short or in another case."""
    rng = _rng(seed, "added")
    added = sorted(added)
    texts = []
    for _ in range(count):
        text = ""
        for _ in range(rng.randint(1, 6)):
            token = rng.choice(added)
            shape = rng.randrange(6)
            if shape == 0:
                text += token + rng.choice(["user", "assistant", "system"]) + "\n" + _mix(rng) + token + "\n"
            elif shape == 1:
                text += _fragment(rng) + token + _fragment(rng)
            elif shape == 2:
                text += rng.choice(SPACES) + token + rng.choice(SPACES)
            elif shape == 3:
                text += token * rng.randint(2, 3)
            elif shape == 4:
                text += token[:rng.randint(1, max(1, len(token) - 1))] + rng.choice(["", " ", token])
            else:
                text += token.upper() + " " + token
        texts.append(text)
    return texts
