// Deterministic test corpus for the byte-level BPE peer check.
//
// generateCorpus(count) always returns the same strings (fixed seed, own
// PRNG): first the hand-written edge cases below, then random mixes of
// fragments from many scripts, emoji, whitespace runs, numbers, code,
// contractions in mixed case and special tokens embedded in text.
// Characters are limited to those assigned before Unicode 14 (PCRE2 10.42's
// tables) and avoid U+0085 and U+FEFF, where \s differs between regex engines
// (JavaScript's \s, which the peer uses, differs from Hugging Face's and ours
// there; see engine/tokenizer/split_regex.h); everything else is fair game.
"use strict";

const kEdgeCases = [
  "",
  " ",
  "  ",
  "\n",
  "\t\t",
  "Hello world",
  " Hello world",
  "Hello  world   ",
  "hello\n\nworld\r\n",
  "it's I'M we'Ve THEY'LL she'd DON'T you're",
  "'s 't 're 've 'm 'll 'd",
  "12345678901234567890",
  "3.14159 2,718 1e-10 0x1F -42",
  "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
  "<|endoftext|>",
  "<|begin_of_text|>Hello<|end_of_text|>",
  "<|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>",
  "<|im_start|<|im_start|><|endoftext|<|endoftext|>>",
  "<think>\nreasoning\n</think>\n\nanswer",
  "<tool_call>{\"name\": \"f\"}</tool_call>",
  "café naïve résumé",
  "cafe\u0301 nai\u0308ve", // decomposed: NFC changes them
  "Ａｂｃ１２３",
  "日本語のテキストです。",
  "中文文本，标点符号！",
  "한국어 텍스트",
  "Русский текст, ёжик.",
  "Ελληνικά γράμματα",
  "עברית ונקודות",
  "العربية والأرقام ١٢٣",
  "हिन्दी पाठ",
  "ภาษาไทย",
  "👋🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ 🧪",
  "    indented\n\tcode",
  "def f(x):\n    return x ** 2  # square\n",
  "for (int i = 0; i < n; ++i) { sum += a[i]; }",
  "\u00a0non-breaking\u3000ideographic\u2002en space",
  "a\u200bzero\u200cwidth\u200djoiners",
  "!!!???...,,,;;;",
  "\"quoted\" 'single' «guillemets» “curly” ‘apostrophe’s’",
];

// mulberry32: small, fast, and identical on every platform.
function makeRandom(seed) {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const kWords = {
  english: ["the", "The", "THE", "quick", "Brown", "fox", "JUMPS", "over", "lazy", "dog",
    "tokenizer", "LoRA", "adapter", "gradient", "Transformer", "hello", "World", "a", "I",
    "naïve", "coöperate", "rôle"],
  french: ["été", "garçon", "œuvre", "Noël", "déjà", "français", "élève", "à", "où"],
  german: ["Straße", "Größe", "Übermäßig", "schön", "Mädchen", "Fußball"],
  decomposed: ["e\u0301te\u0301", "n\u0303", "A\u030a", "o\u0308", "u\u0308ber", "C\u0327a"],
  greek: ["λόγος", "Αθήνα", "φιλοσοφία", "ΩΜΕΓΑ", "ἀρχή"],
  cyrillic: ["привет", "Москва", "ЁЛКА", "українська", "щука", "съезд"],
  arabic: ["مرحبا", "كتاب", "السلام", "عليكم", "٣٤٥"],
  hebrew: ["שלום", "ספר", "עולם"],
  devanagari: ["नमस्ते", "भारत", "संस्कृत", "१२३"],
  chinese: ["你好", "世界", "机器学习", "模型", "训练", "数据集", "龍"],
  japanese: ["こんにちは", "カタカナ", "漢字", "ひらがな", "東京", "ｶﾀｶﾅ"],
  korean: ["안녕하세요", "세계", "한글", "컴퓨터"],
  thai: ["สวัสดี", "ภาษา", "ไทย"],
  misc: ["∑", "∫dx", "√2", "≤≥≠", "→", "€100", "£", "¥", "°C", "№", "©®™", "½", "µs", "Ω"],
  emoji: ["😀", "🚀", "👍🏿", "👩‍💻", "🏳️‍🌈", "🇯🇵", "🤖", "✨", "🔥🔥", "☕", "1️⃣", "🥲"],
};

const kSpecials = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>",
  "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<think>",
  "</think>", "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|im_start", "|>", "<|",
  "<|reserved_special_token_3|>"];

const kContractions = ["it's", "IT'S", "It'S", "we've", "WE'VE", "We'Ve", "I'm", "I'M",
  "they'll", "THEY'LL", "They'Ll", "she'd", "SHE'D", "don't", "DON'T", "Don'T", "you're",
  "YOU'RE", "o'clock", "rock'n'roll", "'tis", "'S", "''", "'"];

const kCode = [
  "int main() { return 0; }",
  "std::vector<int64_t> ids;",
  "if (x != nullptr && y->z) {",
  "def forward(self, x):",
  "    return torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(d)",
  "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
  "SELECT * FROM runs WHERE id = 42;",
  "git commit -m \"Fix bug\" && make -j2",
  "x <<= 2; y >>= 1; z ^= ~w;",
  "#include <torch/torch.h>",
  "console.log(`template ${value}`);",
  "fn main() -> Result<(), Box<dyn Error>> {",
  "<div class=\"a\">&nbsp;</div>",
  "path/to/file_name.safetensors",
  "https://example.org/a?b=c&d=e#f",
  "a_b_c__d", "CamelCaseIdentifier", "snake_case_name", "kConstantValue",
];

const kSpaces = [" ", "  ", "   ", "        ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n ",
  "\n\t", "   \n", "\u00a0", "\u3000", "\u2003", " \u00a0 ", "\n\n\n\n", "\r", "\f", "\v"];

function numberFragment(random) {
  const kind = Math.floor(random() * 6);
  const digits = (n) => {
    let s = "";
    for (let i = 0; i < n; ++i) s += String(Math.floor(random() * 10));
    return s;
  };
  switch (kind) {
    case 0: return digits(1 + Math.floor(random() * 3));
    case 1: return digits(4 + Math.floor(random() * 20));
    case 2: return digits(1 + Math.floor(random() * 4)) + "." + digits(1 + Math.floor(random() * 6));
    case 3: return digits(1) + "," + digits(3) + "," + digits(3);
    case 4: return "-" + digits(2) + "e" + digits(2);
    default: return "#" + digits(3) + "-" + digits(4);
  }
}

function pick(random, list) {
  return list[Math.floor(random() * list.length)];
}

function randomFragment(random) {
  const roll = random();
  if (roll < 0.40) return pick(random, kWords[pick(random, Object.keys(kWords))]);
  if (roll < 0.50) return numberFragment(random);
  if (roll < 0.60) return pick(random, kContractions);
  if (roll < 0.70) return pick(random, kCode);
  if (roll < 0.78) return pick(random, kSpecials);
  if (roll < 0.88) return pick(random, ["!", "?", ".", ",", ";", ":", "...", "—", "-", "(", ")",
    "[", "]", "{", "}", "\"", "'", "`", "~", "@", "#", "$", "%", "^", "&", "*", "_", "+", "=",
    "|", "\\", "/", "<", ">", "«", "»", "¿", "¡", "、", "。", "！"]);
  return pick(random, kSpaces);
}

function randomString(random) {
  const fragments = 1 + Math.floor(random() * 14);
  let text = random() < 0.2 ? pick(random, kSpaces) : "";
  for (let i = 0; i < fragments; ++i) {
    text += randomFragment(random);
    const gap = random();
    if (gap < 0.55) text += " ";
    else if (gap < 0.70) text += pick(random, kSpaces);
  }
  return text;
}

function generateCorpus(count, seed = 20240501) {
  const random = makeRandom(seed);
  const corpus = kEdgeCases.slice(0, count);
  while (corpus.length < count) corpus.push(randomString(random));
  return corpus;
}

module.exports = { generateCorpus };

if (require.main === module) {
  const count = Number(process.argv[2] || 2400);
  for (const line of generateCorpus(count)) console.log(JSON.stringify(line));
}
