// PreTokenizer: cuts normalized text into the pieces that the model encodes
// one by one, following the "pre_tokenizer" of a Hugging Face tokenizer.json.
// Every step applies to every piece the steps before it made, in order
// (a "Sequence" is read as its steps); empty pieces are dropped.
//
// Steps (Hugging Face's definitions; unicode_classes.h has the classes):
// - ByteLevel {add_prefix_space, use_regex}: a space before each piece that
//   does not start with one, then GPT-2's pattern (kGpt2Pattern), Isolated.
//   Pieces stay raw UTF-8: the model reads a byte-level vocabulary as bytes
//   (bpe_model.h), so mapping bytes to GPT-2's alphabet is not needed. It must
//   be the last step (a later one would see the alphabet, which nothing does).
// - Split {pattern Regex|String, behavior, invert} (split_behavior.h).
// - Metaspace {replacement, prepend_scheme, split}: spaces become the
//   replacement ("▁"), which is put before the piece (always; "first": only
//   before a piece at the very start of the input; never) unless it starts
//   with one; with split, the piece is cut before each replacement.
// - Digits {individual_digits}: numeric characters alone or in runs.
// - Punctuation {behavior}: each punctuation character, by behavior.
// - Whitespace: runs of word characters and runs of other non-space ones
//   (the regex \w+|[^\w\s]+), whitespace dropped.
// - WhitespaceSplit, CharDelimiterSplit {delimiter}: split there, dropping it.
// - BertPreTokenizer: WhitespaceSplit, then each punctuation character alone.
#pragma once

#include "engine/tokenizer/split_behavior.h"
#include "engine/tokenizer/split_regex.h"

#include <memory>
#include <string>
#include <vector>

namespace lwb {

enum class PrependScheme {
    Always,
    First,
    Never,
};

struct PreTokenizerStep
{
    enum class Kind {
        Split,
        ByteLevel,
        Metaspace,
        Digits,
        Punctuation,
        Whitespace,
        WhitespaceSplit,
        CharDelimiterSplit,
        Bert,
    };
    Kind kind = Kind::ByteLevel;
    // Split (behavior also for Punctuation)
    std::string pattern;
    bool literal = false;
    SplitBehavior behavior = SplitBehavior::Isolated;
    bool invert = false;
    // ByteLevel
    bool addPrefixSpace = false;
    bool useRegex = true;
    // Metaspace
    std::string replacement = "\u2581";
    PrependScheme prependScheme = PrependScheme::Always;
    bool splitOnReplacement = true;
    // Digits
    bool individualDigits = false;
    // CharDelimiterSplit
    char32_t delimiter = U' ';
};

class PreTokenizer
{
public:
    // The pattern ByteLevel uses when use_regex is true (GPT-2's).
    static constexpr const char *kGpt2Pattern
        = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    // Compiles every pattern; throws std::invalid_argument on a bad one.
    explicit PreTokenizer(std::vector<PreTokenizerStep> steps);

    bool hasByteLevel() const;
    // `text` must be valid UTF-8. `atStart`: the text begins the whole input
    // (what Metaspace's prepend_scheme "first" asks).
    std::vector<std::string> split(const std::string &text, bool atStart = true) const;

private:
    struct CompiledStep
    {
        PreTokenizerStep step;
        std::shared_ptr<const SplitRegex> regex; // Split, ByteLevel with use_regex
    };
    struct Piece
    {
        std::string text;
        bool atStart;
    };

    void apply(const CompiledStep &compiled, Piece &piece, std::vector<Piece> &out) const;

    std::vector<CompiledStep> steps_;
};

} // namespace lwb
