// SplitBehavior: what a pre-tokenizer split does with the stretches its
// pattern matched, as Hugging Face's SplitDelimiterBehavior defines it.
//
// A split first lists a piece as consecutive parts [begin, end) covering all
// of it, each marked as a match or not (a regex's matches, or each character
// a predicate accepts, one part per character); applyBehavior then folds
// them into the ranges that become pieces:
//   Removed             drop the matches;
//   Isolated            every part is a piece;
//   MergedWithPrevious  a match joins the part before it ("a-" "b-");
//   MergedWithNext      a match joins the part after it ("-b");
//   Contiguous          consecutive matches form one piece ("--").
#pragma once

#include <cstddef>
#include <vector>

namespace lwb {

enum class SplitBehavior {
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
};

struct SplitPart
{
    std::size_t begin;
    std::size_t end;
    bool isMatch;
};

std::vector<SplitPart> applyBehavior(std::vector<SplitPart> parts, SplitBehavior behavior);

} // namespace lwb
