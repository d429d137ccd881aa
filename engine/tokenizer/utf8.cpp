// UTF-8 validation, stepping and lossy repair (see utf8.h).
#include "engine/tokenizer/utf8.h"

namespace lwb {

namespace {

// Length of the well-formed sequence at `pos`, or 0 with `consumed` set to the
// length of the maximal ill-formed subpart (at least 1).
std::size_t wellFormedLength(std::string_view text, std::size_t pos, std::size_t &consumed)
{
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(pos);
    consumed = 1;
    if (lead < 0x80)
        return 1;
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0)
            low = 0xa0;
        else if (lead == 0xed)
            high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0)
            low = 0x90;
        else if (lead == 0xf4)
            high = 0x8f;
    } else {
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        if (pos + i >= text.size())
            return 0;
        const unsigned char next = byte(pos + i);
        const unsigned char min = i == 1 ? low : 0x80;
        const unsigned char max = i == 1 ? high : 0xbf;
        if (next < min || next > max)
            return 0;
        consumed = i + 1;
    }
    return length;
}

} // namespace

std::size_t findInvalidUtf8(std::string_view text)
{
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t consumed = 0;
        const std::size_t length = wellFormedLength(text, pos, consumed);
        if (length == 0)
            return pos;
        pos += length;
    }
    return std::string_view::npos;
}

char32_t nextCodePoint(std::string_view text, std::size_t &pos)
{
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(pos);
    if (lead < 0x80) {
        pos += 1;
        return lead;
    }
    const std::size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    char32_t value = lead & (0x7f >> length);
    for (std::size_t i = 1; i < length; ++i)
        value = (value << 6) | (byte(pos + i) & 0x3f);
    pos += length;
    return value;
}

char32_t previousCodePoint(std::string_view text, std::size_t &pos)
{
    std::size_t start = pos - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xc0) == 0x80)
        --start;
    std::size_t cursor = start;
    const char32_t value = nextCodePoint(text, cursor);
    pos = start;
    return value;
}

void appendUtf8(std::string &out, char32_t codePoint)
{
    if (codePoint < 0x80) {
        out += static_cast<char>(codePoint);
    } else if (codePoint < 0x800) {
        out += static_cast<char>(0xc0 | (codePoint >> 6));
        out += static_cast<char>(0x80 | (codePoint & 0x3f));
    } else if (codePoint < 0x10000) {
        out += static_cast<char>(0xe0 | (codePoint >> 12));
        out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (codePoint & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (codePoint >> 18));
        out += static_cast<char>(0x80 | ((codePoint >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (codePoint & 0x3f));
    }
}

std::string repairUtf8(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size());
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        std::size_t consumed = 0;
        const std::size_t length = wellFormedLength(bytes, pos, consumed);
        if (length == 0) {
            out += "\xef\xbf\xbd";
            pos += consumed;
        } else {
            out.append(bytes.substr(pos, length));
            pos += length;
        }
    }
    return out;
}

} // namespace lwb
