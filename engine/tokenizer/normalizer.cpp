// Normalizer: the normalizer steps (see normalizer.h).
#include "engine/tokenizer/normalizer.h"

#include "engine/tokenizer/unicode_classes.h"
#include "engine/tokenizer/utf8.h"

namespace lwb {

namespace {

std::string replaceMatches(const std::string &text, const SplitRegex &regex, const std::string &content)
{
    const auto matches = regex.findAll(text);
    if (matches.empty())
        return text;
    std::string out;
    out.reserve(text.size());
    std::size_t previous = 0;
    for (const auto &[begin, end] : matches) {
        out.append(text, previous, begin - previous);
        out += content;
        previous = end;
    }
    out.append(text, previous, std::string::npos);
    return out;
}

std::string lowercase(const std::string &text)
{
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size())
        appendLowercase(out, nextCodePoint(text, pos));
    return out;
}

std::string strip(const std::string &text, bool left, bool right)
{
    std::size_t begin = 0;
    std::size_t end = text.size();
    while (left && begin < end) {
        std::size_t cursor = begin;
        if (!isWhitespace(nextCodePoint(text, cursor)))
            break;
        begin = cursor;
    }
    while (right && end > begin) {
        std::size_t cursor = end;
        if (!isWhitespace(previousCodePoint(text, cursor)))
            break;
        end = cursor;
    }
    return text.substr(begin, end - begin);
}

std::string withoutCombiningMarks(const std::string &text)
{
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t begin = pos;
        if (!isCombiningMark(nextCodePoint(text, pos)))
            out.append(text, begin, pos - begin);
    }
    return out;
}

} // namespace

Normalizer::Normalizer(std::vector<NormalizerStep> steps)
{
    for (NormalizerStep &step : steps) {
        CompiledStep compiled{std::move(step), {}, {}, nullptr};
        if (compiled.step.kind == NormalizerStep::Kind::Unicode)
            compiled.unicode = UnicodeNormalizer({compiled.step.form});
        else if (compiled.step.kind == NormalizerStep::Kind::Bert)
            compiled.bert = BertNormalizer(compiled.step.bert);
        else if (compiled.step.kind == NormalizerStep::Kind::Replace)
            compiled.regex = std::make_shared<SplitRegex>(compiled.step.pattern, compiled.step.literal);
        steps_.push_back(std::move(compiled));
    }
}

std::string Normalizer::normalize(const std::string &text) const
{
    std::string current = text;
    for (const CompiledStep &compiled : steps_) {
        if (current.empty())
            break; // every step leaves empty text empty (Prepend included)
        const NormalizerStep &step = compiled.step;
        switch (step.kind) {
        case NormalizerStep::Kind::Unicode:
            current = compiled.unicode.normalize(current);
            break;
        case NormalizerStep::Kind::Prepend:
            current.insert(0, step.text);
            break;
        case NormalizerStep::Kind::Replace:
            current = replaceMatches(current, *compiled.regex, step.text);
            break;
        case NormalizerStep::Kind::Lowercase:
            current = lowercase(current);
            break;
        case NormalizerStep::Kind::Strip:
            current = strip(current, step.left, step.right);
            break;
        case NormalizerStep::Kind::StripAccents:
            current = withoutCombiningMarks(current);
            break;
        case NormalizerStep::Kind::Bert:
            current = compiled.bert.normalize(current);
            break;
        }
    }
    return current;
}

} // namespace lwb
