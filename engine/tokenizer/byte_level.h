// The byte-level alphabet of GPT-2 style BPE (used by GPT-2, Llama-3, Qwen2/3).
//
// Each of the 256 byte values is spelled as one printable Unicode character so
// that vocabulary files stay readable: bytes '!'..'~', 0xA1..0xAC and
// 0xAE..0xFF stand for themselves (as code points), the other 68 bytes take
// U+0100, U+0101, ... in byte order (space 0x20 becomes U+0120 'Ġ', newline
// 0x0A becomes U+010A 'Ċ'). The tokenizer works on raw bytes internally and
// uses this mapping only to read the vocabulary and merges.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace lwb {

// UTF-8 spelling of the character that stands for each byte.
const std::array<std::string, 256> &byteLevelAlphabet();

// "Ġhello" -> " hello"; nullopt when a character is outside the alphabet.
std::optional<std::string> byteLevelToBytes(std::string_view spelled);

// " hello" -> "Ġhello".
std::string bytesToByteLevel(std::string_view bytes);

} // namespace lwb
