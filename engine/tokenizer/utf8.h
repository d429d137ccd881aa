// UTF-8 helpers for the tokenizer: validation, code point stepping and the
// lossy repair that turns decoded bytes back into valid text.
//
// repairUtf8 follows the Unicode "maximal subpart" practice (as Rust's
// String::from_utf8_lossy and the WHATWG decoder do): each ill-formed
// subsequence becomes one U+FFFD, so decode() agrees with Hugging Face.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lwb {

// Byte offset of the first ill-formed sequence, or std::string_view::npos.
std::size_t findInvalidUtf8(std::string_view text);

// The code point starting at `pos` in valid UTF-8; moves `pos` past it.
char32_t nextCodePoint(std::string_view text, std::size_t &pos);

// The code point ending just before `pos` in valid UTF-8; moves `pos` to its start.
char32_t previousCodePoint(std::string_view text, std::size_t &pos);

void appendUtf8(std::string &out, char32_t codePoint);

// `bytes` with each ill-formed subsequence replaced by U+FFFD.
std::string repairUtf8(std::string_view bytes);

} // namespace lwb
