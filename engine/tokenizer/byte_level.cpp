// The GPT-2 byte <-> printable character table (see byte_level.h).
#include "engine/tokenizer/byte_level.h"

#include "engine/tokenizer/utf8.h"

#include <unordered_map>

namespace lwb {

namespace {

// The code point that stands for each byte.
std::array<char32_t, 256> buildCodePoints()
{
    std::array<char32_t, 256> table = {};
    std::array<bool, 256> direct = {};
    for (int b = '!'; b <= '~'; ++b)
        direct[b] = true;
    for (int b = 0xa1; b <= 0xac; ++b)
        direct[b] = true;
    for (int b = 0xae; b <= 0xff; ++b)
        direct[b] = true;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b)
        table[b] = direct[b] ? static_cast<char32_t>(b) : next++;
    return table;
}

const std::array<char32_t, 256> &codePoints()
{
    static const std::array<char32_t, 256> table = buildCodePoints();
    return table;
}

const std::unordered_map<char32_t, unsigned char> &inverse()
{
    static const std::unordered_map<char32_t, unsigned char> table = [] {
        std::unordered_map<char32_t, unsigned char> map;
        for (int b = 0; b < 256; ++b)
            map.emplace(codePoints()[b], static_cast<unsigned char>(b));
        return map;
    }();
    return table;
}

} // namespace

const std::array<std::string, 256> &byteLevelAlphabet()
{
    static const std::array<std::string, 256> alphabet = [] {
        std::array<std::string, 256> spelled;
        for (int b = 0; b < 256; ++b)
            appendUtf8(spelled[b], codePoints()[b]);
        return spelled;
    }();
    return alphabet;
}

std::optional<std::string> byteLevelToBytes(std::string_view spelled)
{
    if (findInvalidUtf8(spelled) != std::string_view::npos)
        return std::nullopt;
    std::string bytes;
    bytes.reserve(spelled.size());
    std::size_t pos = 0;
    while (pos < spelled.size()) {
        const auto it = inverse().find(nextCodePoint(spelled, pos));
        if (it == inverse().end())
            return std::nullopt;
        bytes += static_cast<char>(it->second);
    }
    return bytes;
}

std::string bytesToByteLevel(std::string_view bytes)
{
    std::string spelled;
    spelled.reserve(bytes.size() * 2);
    for (const char byte : bytes)
        spelled += byteLevelAlphabet()[static_cast<unsigned char>(byte)];
    return spelled;
}

} // namespace lwb
