// BertNormalizer: BERT's text cleaning, CJK spacing, accent stripping and
// lowercasing (see bert_normalizer.h).
#include "engine/tokenizer/bert_normalizer.h"

#include "engine/tokenizer/unicode_classes.h"
#include "engine/tokenizer/utf8.h"

namespace lwb {

namespace {

bool isChineseCharacter(char32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
           || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
           || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// bert.rs is_control: \t \n \r count as whitespace, not control.
bool isControl(char32_t c)
{
    return c != '\t' && c != '\n' && c != '\r' && isOtherInUnicode8(c);
}

std::string cleaned(const std::string &text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t begin = pos;
        const char32_t c = nextCodePoint(text, pos);
        if (c == 0 || c == 0xFFFD || isControl(c))
            continue;
        if (isWhitespace(c))
            out += ' ';
        else
            out.append(text, begin, pos - begin);
    }
    return out;
}

std::string withSpacedIdeographs(const std::string &text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t begin = pos;
        const bool ideograph = isChineseCharacter(nextCodePoint(text, pos));
        if (ideograph)
            out += ' ';
        out.append(text, begin, pos - begin);
        if (ideograph)
            out += ' ';
    }
    return out;
}

std::string withoutNonspacingMarks(const std::string &text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t begin = pos;
        if (!isNonspacingMarkInUnicode8(nextCodePoint(text, pos)))
            out.append(text, begin, pos - begin);
    }
    return out;
}

} // namespace

BertNormalizer::BertNormalizer(const BertNormalizerOptions &options)
    : options_(options)
    , nfd_({UnicodeForm::Nfd})
{
}

std::string BertNormalizer::normalize(const std::string &text) const
{
    std::string current = options_.cleanText ? cleaned(text) : text;
    if (options_.handleChineseChars)
        current = withSpacedIdeographs(current);
    if (options_.stripAccents)
        current = withoutNonspacingMarks(nfd_.normalize(current));
    if (options_.lowercase) {
        std::string lowered;
        lowered.reserve(current.size());
        for (std::size_t pos = 0; pos < current.size();)
            appendLowercase(lowered, nextCodePoint(current, pos));
        current = std::move(lowered);
    }
    return current;
}

} // namespace lwb
