// Character classes of Hugging Face tokenizers' Rust code, for one code point
// each, through ICU (libicu-dev): what its normalizers, pre-tokenizers and
// added-token matching ask of a character.
//
// Each one is the Rust (or Oniguruma) definition the tokenizers crate uses,
// checked against tokenizers 0.23.3 by experiment (tests/tokenizer_peer):
// - isWhitespace: Rust char::is_whitespace, the White_Space property
//   (U+0085 and U+3000 in, U+200B and U+FEFF out);
// - isWordChar: the word class of the Whitespace pre-tokenizer and of
//   single_word added tokens: Alphabetic, marks, decimal digits, connector
//   punctuation and the joiners U+200C/U+200D (so "²" is not one, "Ⅻ" and a
//   combining accent are; a regex \w leaves the joiners out, split_regex.h);
// - isPunctuation: Rust is_ascii_punctuation (which counts $ + < = > ^ ` | ~)
//   or a Unicode P* category, as the Punctuation pre-tokenizer does; its
//   unicode_categories crate knows Unicode 9.0 only (U+2E42 is punctuation
//   there, U+2E45 of Unicode 10 and U+061D of Unicode 14 are not);
// - isNumeric: Rust char::is_numeric, categories Nd, Nl and No (Digits);
// - appendLowercase: Rust char::to_lowercase, the full mapping of one
//   character without context ("İ" -> "i̇", "Σ" -> "σ" even at a word's end).
// Otherwise ICU's tables may be newer than Rust's; the peer corpus keeps to
// Unicode 14.
#pragma once

#include <string>

namespace lwb {

bool isWhitespace(char32_t c);
bool isWordChar(char32_t c);
bool isPunctuation(char32_t c);
bool isNumeric(char32_t c);
// A mark (Mn, Mc, Me) of Unicode 9.0, the unicode-normalization-alignments
// tables StripAccents uses (U+20E3 and U+093E go, U+1AC0 of Unicode 14 stays).
bool isCombiningMark(char32_t c);
// BertNormalizer's classes come from the unicode_categories crate, whose
// tables are Unicode 8.0's (checked over every code point below U+30000):
// - a nonspacing mark (Mn) of 8.0 (strip_accents; U+1E000 of 9.0 stays);
bool isNonspacingMarkInUnicode8(char32_t c);
// - an "other" character of 8.0 that clean_text drops: Cc, Cf or Co
//   (unassigned ones stay, so U+08E2 of 9.0 and U+0890 of 14.0 do).
bool isOtherInUnicode8(char32_t c);
void appendLowercase(std::string &out, char32_t c);

} // namespace lwb
