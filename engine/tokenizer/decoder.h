// Decoder: the "decoder" of a Hugging Face tokenizer.json, which turns the
// tokens of some ids (as spelled: "▁the", "Ġthe", "<0x0A>", "<s>") back into
// text. Each step maps the list of token strings to a new list (a
// "Sequence" is read as its steps); the result is their concatenation. With
// no decoder at all the tokens are joined with spaces, as tokenizers does.
//
// Steps (the tokenizers crate's decoders, checked against 0.23.3):
// - ByteLevel: all tokens' characters through GPT-2's alphabet to bytes (a
//   token with a character outside it gives its own UTF-8), joined into one
//   string, ill-formed UTF-8 replaced per maximal subpart with U+FFFD;
// - ByteFallback: runs of <0xNN> tokens become the text of their bytes, or
//   one U+FFFD per byte when those are not valid UTF-8;
// - Fuse: all tokens joined into one;
// - Strip {content, start, stop}: up to start leading and stop trailing
//   `content` characters off each token;
// - Replace {pattern String|Regex, content}: in each token;
// - Metaspace {replacement, prepend_scheme}: the replacement becomes a
//   space, except that in the first token it is dropped (all of them, as the
//   crate does) unless prepend_scheme is "never";
// - BPEDecoder {suffix}: the end-of-word suffix becomes a space (nothing in
//   the last token);
// - WordPiece {prefix, cleanup}: the prefix dropped from continuing tokens,
//   a space before the others, and with cleanup the crate's spacing fixes.
#pragma once

#include "engine/tokenizer/split_regex.h"

#include <memory>
#include <string>
#include <vector>

namespace lwb {

struct DecoderStep
{
    enum class Kind {
        ByteLevel,
        ByteFallback,
        Fuse,
        Strip,
        Replace,
        Metaspace,
        BpeSuffix,
        WordPiece,
    };
    Kind kind = Kind::ByteLevel;
    std::string text; // Strip: the character; Replace: content; Metaspace: replacement; BPE: suffix; WordPiece: prefix
    std::string pattern; // Replace
    bool literal = true; // Replace
    std::size_t start = 0;
    std::size_t stop = 0;
    bool dropFirstReplacement = true; // Metaspace: prepend_scheme is not "never"
    bool cleanup = true;              // WordPiece
};

class Decoder
{
public:
    Decoder() = default;
    // Compiles Replace patterns; throws std::invalid_argument on a bad one.
    explicit Decoder(std::vector<DecoderStep> steps);

    std::string decode(std::vector<std::string> tokens) const;

private:
    struct CompiledStep
    {
        DecoderStep step;
        std::shared_ptr<const SplitRegex> regex;
    };

    std::vector<CompiledStep> steps_;
};

} // namespace lwb
