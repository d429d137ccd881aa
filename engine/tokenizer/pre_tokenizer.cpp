// PreTokenizer: the Split and ByteLevel steps (see pre_tokenizer.h).
//
// A Split first lists the piece as alternating (range, isMatch) parts covering
// all of it, then folds them by behavior exactly as Hugging Face's
// SplitDelimiterBehavior does.
#include "engine/tokenizer/pre_tokenizer.h"

namespace lwb {

namespace {

struct Part
{
    std::size_t begin;
    std::size_t end;
    bool isMatch;
};

std::vector<Part> partsOf(const SplitRegex &regex, const std::string &piece, bool invert)
{
    std::vector<Part> parts;
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

// Folds parts into the ranges that become pieces.
std::vector<Part> applyBehavior(std::vector<Part> parts, SplitBehavior behavior)
{
    std::vector<Part> out;
    switch (behavior) {
    case SplitBehavior::Isolated:
        return parts;
    case SplitBehavior::Removed:
        for (const Part &part : parts) {
            if (!part.isMatch)
                out.push_back(part);
        }
        return out;
    case SplitBehavior::MergedWithPrevious: {
        bool previousMatch = false;
        for (const Part &part : parts) {
            if (part.isMatch && !previousMatch && !out.empty())
                out.back().end = part.end;
            else
                out.push_back(part);
            previousMatch = part.isMatch;
        }
        return out;
    }
    case SplitBehavior::MergedWithNext: {
        bool previousMatch = false;
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
            if (it->isMatch && !previousMatch && !out.empty())
                out.back().begin = it->begin;
            else
                out.push_back(*it);
            previousMatch = it->isMatch;
        }
        return {out.rbegin(), out.rend()};
    }
    case SplitBehavior::Contiguous: {
        bool previousMatch = false;
        for (const Part &part : parts) {
            if (part.isMatch == previousMatch && !out.empty())
                out.back().end = part.end;
            else
                out.push_back(part);
            previousMatch = part.isMatch;
        }
        return out;
    }
    }
    return parts;
}

} // namespace

PreTokenizer::PreTokenizer(std::vector<PreTokenizerStep> steps)
{
    // Steps with the same pattern share one compiled regex.
    std::shared_ptr<const SplitRegex> gpt2;
    for (PreTokenizerStep &step : steps) {
        CompiledStep compiled{std::move(step), nullptr};
        if (compiled.step.kind == PreTokenizerStep::Kind::Split) {
            compiled.regex = std::make_shared<SplitRegex>(compiled.step.pattern,
                                                          compiled.step.literal);
        } else if (compiled.step.useRegex) {
            if (!gpt2)
                gpt2 = std::make_shared<SplitRegex>(kGpt2Pattern, false);
            compiled.regex = gpt2;
        }
        steps_.push_back(std::move(compiled));
    }
}

std::vector<std::string> PreTokenizer::split(const std::string &text) const
{
    if (text.empty())
        return {};
    std::vector<std::string> pieces{text};
    for (const CompiledStep &compiled : steps_) {
        const PreTokenizerStep &step = compiled.step;
        std::vector<std::string> next;
        next.reserve(pieces.size());
        for (std::string &piece : pieces) {
            if (step.kind == PreTokenizerStep::Kind::ByteLevel && step.addPrefixSpace
                && piece.front() != ' ')
                piece.insert(piece.begin(), ' ');
            if (!compiled.regex) {
                next.push_back(std::move(piece));
                continue;
            }
            const SplitBehavior behavior = step.kind == PreTokenizerStep::Kind::Split
                                               ? step.behavior
                                               : SplitBehavior::Isolated;
            const bool invert = step.kind == PreTokenizerStep::Kind::Split && step.invert;
            for (const Part &part : applyBehavior(partsOf(*compiled.regex, piece, invert), behavior))
                next.push_back(piece.substr(part.begin, part.end - part.begin));
        }
        pieces.clear();
        for (std::string &piece : next) {
            if (!piece.empty())
                pieces.push_back(std::move(piece));
        }
    }
    return pieces;
}

} // namespace lwb
