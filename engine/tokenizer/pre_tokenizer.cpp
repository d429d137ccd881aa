// PreTokenizer: the pre-tokenizer steps (see pre_tokenizer.h). Each step
// lists a piece as match / non-match parts and folds them by a split
// behavior, exactly as Hugging Face's NormalizedString::split does.
#include "engine/tokenizer/pre_tokenizer.h"

#include "engine/tokenizer/unicode_classes.h"
#include "engine/tokenizer/utf8.h"

namespace lwb {

namespace {

std::vector<SplitPart> partsOfRegex(const SplitRegex &regex, const std::string &piece, bool invert)
{
    std::vector<SplitPart> parts;
    std::size_t previous = 0;
    for (const auto &[begin, end] : regex.findAll(piece)) {
        if (begin != previous)
            parts.push_back({previous, begin, invert});
        parts.push_back({begin, end, !invert});
        previous = end;
    }
    if (previous != piece.size())
        parts.push_back({previous, piece.size(), invert});
    return parts;
}

// Each character `matches` accepts is a match part of its own.
template <typename Predicate> std::vector<SplitPart> partsOfCharacters(const std::string &piece, Predicate matches)
{
    std::vector<SplitPart> parts;
    std::size_t previous = 0;
    std::size_t pos = 0;
    while (pos < piece.size()) {
        const std::size_t begin = pos;
        if (!matches(nextCodePoint(piece, pos)))
            continue;
        if (begin != previous)
            parts.push_back({previous, begin, false});
        parts.push_back({begin, pos, true});
        previous = pos;
    }
    if (previous != piece.size())
        parts.push_back({previous, piece.size(), false});
    return parts;
}

// Runs of word characters and runs of other non-space characters, as the
// regex \w+|[^\w\s]+ finds them; whitespace is left out.
std::vector<SplitPart> wordAndSymbolRuns(const std::string &piece)
{
    enum class Class { Space, Word, Other };
    std::vector<SplitPart> runs;
    Class current = Class::Space;
    std::size_t pos = 0;
    while (pos < piece.size()) {
        const std::size_t begin = pos;
        const char32_t c = nextCodePoint(piece, pos);
        const Class kind = isWordChar(c) ? Class::Word : isWhitespace(c) ? Class::Space : Class::Other;
        if (kind != Class::Space && kind == current)
            runs.back().end = pos;
        else if (kind != Class::Space)
            runs.push_back({begin, pos, true});
        current = kind;
    }
    return runs;
}

std::string replaceAll(const std::string &text, char from, const std::string &to)
{
    std::string out;
    out.reserve(text.size() + 8);
    for (const char c : text) {
        if (c == from)
            out += to;
        else
            out += c;
    }
    return out;
}

} // namespace

PreTokenizer::PreTokenizer(std::vector<PreTokenizerStep> steps)
{
    // Steps with GPT-2's pattern share one compiled regex.
    std::shared_ptr<const SplitRegex> gpt2;
    for (PreTokenizerStep &step : steps) {
        CompiledStep compiled{std::move(step), nullptr};
        if (compiled.step.kind == PreTokenizerStep::Kind::Split) {
            compiled.regex = std::make_shared<SplitRegex>(compiled.step.pattern, compiled.step.literal);
        } else if (compiled.step.kind == PreTokenizerStep::Kind::ByteLevel && compiled.step.useRegex) {
            if (!gpt2)
                gpt2 = std::make_shared<SplitRegex>(kGpt2Pattern, false);
            compiled.regex = gpt2;
        }
        steps_.push_back(std::move(compiled));
    }
}

bool PreTokenizer::hasByteLevel() const
{
    for (const CompiledStep &compiled : steps_) {
        if (compiled.step.kind == PreTokenizerStep::Kind::ByteLevel)
            return true;
    }
    return false;
}

std::vector<std::string> PreTokenizer::split(const std::string &text, bool atStart) const
{
    if (text.empty())
        return {};
    std::vector<Piece> pieces{{text, atStart}};
    std::vector<Piece> next;
    for (const CompiledStep &compiled : steps_) {
        next.clear();
        next.reserve(pieces.size());
        for (Piece &piece : pieces)
            apply(compiled, piece, next);
        pieces.clear();
        for (Piece &piece : next) {
            if (!piece.text.empty())
                pieces.push_back(std::move(piece));
        }
    }
    std::vector<std::string> out;
    out.reserve(pieces.size());
    for (Piece &piece : pieces)
        out.push_back(std::move(piece.text));
    return out;
}

void PreTokenizer::apply(const CompiledStep &compiled, Piece &piece, std::vector<Piece> &out) const
{
    using Kind = PreTokenizerStep::Kind;
    const PreTokenizerStep &step = compiled.step;
    std::vector<SplitPart> parts;
    SplitBehavior behavior = SplitBehavior::Isolated;
    switch (step.kind) {
    case Kind::ByteLevel:
        if (step.addPrefixSpace && piece.text.front() != ' ')
            piece.text.insert(piece.text.begin(), ' ');
        if (!compiled.regex) {
            out.push_back(std::move(piece));
            return;
        }
        parts = partsOfRegex(*compiled.regex, piece.text, false);
        break;
    case Kind::Split:
        parts = partsOfRegex(*compiled.regex, piece.text, step.invert);
        behavior = step.behavior;
        break;
    case Kind::Metaspace: {
        piece.text = replaceAll(piece.text, ' ', step.replacement);
        const bool starts = piece.text.compare(0, step.replacement.size(), step.replacement) == 0;
        if (!starts
            && (step.prependScheme == PrependScheme::Always
                || (step.prependScheme == PrependScheme::First && piece.atStart)))
            piece.text.insert(0, step.replacement);
        if (!step.splitOnReplacement) {
            out.push_back(std::move(piece));
            return;
        }
        std::size_t pos = 0;
        const char32_t marker = nextCodePoint(step.replacement, pos);
        parts = partsOfCharacters(piece.text, [marker](char32_t c) { return c == marker; });
        behavior = SplitBehavior::MergedWithNext;
        break;
    }
    case Kind::Digits:
        parts = partsOfCharacters(piece.text, isNumeric);
        behavior = step.individualDigits ? SplitBehavior::Isolated : SplitBehavior::Contiguous;
        break;
    case Kind::Punctuation:
        parts = partsOfCharacters(piece.text, isPunctuation);
        behavior = step.behavior;
        break;
    case Kind::Whitespace:
        parts = wordAndSymbolRuns(piece.text);
        break;
    case Kind::WhitespaceSplit:
        parts = partsOfCharacters(piece.text, isWhitespace);
        behavior = SplitBehavior::Removed;
        break;
    case Kind::CharDelimiterSplit: {
        const char32_t delimiter = step.delimiter;
        parts = partsOfCharacters(piece.text, [delimiter](char32_t c) { return c == delimiter; });
        behavior = SplitBehavior::Removed;
        break;
    }
    case Kind::Bert: {
        for (const SplitPart &word :
             applyBehavior(partsOfCharacters(piece.text, isWhitespace), SplitBehavior::Removed)) {
            const std::string text = piece.text.substr(word.begin, word.end - word.begin);
            const bool atStart = piece.atStart && word.begin == 0;
            for (const SplitPart &part : partsOfCharacters(text, isPunctuation))
                out.push_back({text.substr(part.begin, part.end - part.begin), atStart && part.begin == 0});
        }
        return;
    }
    }
    for (const SplitPart &part : applyBehavior(std::move(parts), behavior))
        out.push_back({piece.text.substr(part.begin, part.end - part.begin), piece.atStart && part.begin == 0});
}

} // namespace lwb
