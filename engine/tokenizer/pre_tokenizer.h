// PreTokenizer: cuts normalized text into the pieces that BPE encodes one by
// one, following the "pre_tokenizer" of a Hugging Face tokenizer.json.
//
// Supported forms (what GPT-2, Llama-3 and Qwen2/3 ship):
// - ByteLevel {add_prefix_space, use_regex}: optionally prefix each piece with
//   a space (unless it starts with one), then, when use_regex, split it with
//   GPT-2's built-in pattern (kGpt2Pattern) keeping every part.
// - Split {pattern: {Regex|String}, behavior, invert}: split each piece at the
//   pattern's matches; behavior says what happens to a match: Removed,
//   Isolated (own piece), MergedWithPrevious, MergedWithNext, Contiguous.
// - Sequence of those, applied in order to every piece.
// Pieces stay raw UTF-8 bytes; the byte-level alphabet is only a spelling of
// the vocabulary (see byte_level.h), so mapping bytes to it is not needed here.
// Empty pieces are dropped, as Hugging Face does.
#pragma once

#include "engine/tokenizer/split_regex.h"

#include <memory>
#include <string>
#include <vector>

namespace lwb {

enum class SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
};

struct PreTokenizerStep
{
    enum class Kind
    {
        Split,
        ByteLevel,
    };
    Kind kind = Kind::ByteLevel;
    // Split
    std::string pattern;
    bool literal = false;
    SplitBehavior behavior = SplitBehavior::Isolated;
    bool invert = false;
    // ByteLevel
    bool addPrefixSpace = false;
    bool useRegex = true;
};

class PreTokenizer
{
public:
    // The pattern ByteLevel uses when use_regex is true (GPT-2's).
    static constexpr const char *kGpt2Pattern
        = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    // Compiles every pattern; throws std::invalid_argument on a bad one.
    explicit PreTokenizer(std::vector<PreTokenizerStep> steps);

    // `text` must be valid UTF-8.
    std::vector<std::string> split(const std::string &text) const;

private:
    struct CompiledStep
    {
        PreTokenizerStep step;
        std::shared_ptr<const SplitRegex> regex; // null for ByteLevel without regex
    };

    std::vector<CompiledStep> steps_;
};

} // namespace lwb
