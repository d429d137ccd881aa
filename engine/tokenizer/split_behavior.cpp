// The five split behaviors (see split_behavior.h); each fold is the one of
// Hugging Face's NormalizedString::split.
#include "engine/tokenizer/split_behavior.h"

namespace lwb {

std::vector<SplitPart> applyBehavior(std::vector<SplitPart> parts, SplitBehavior behavior)
{
    std::vector<SplitPart> out;
    switch (behavior) {
    case SplitBehavior::Isolated:
        return parts;
    case SplitBehavior::Removed:
        for (const SplitPart &part : parts) {
            if (!part.isMatch)
                out.push_back(part);
        }
        return out;
    case SplitBehavior::MergedWithPrevious: {
        bool previousMatch = false;
        for (const SplitPart &part : parts) {
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
        for (const SplitPart &part : parts) {
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

} // namespace lwb
