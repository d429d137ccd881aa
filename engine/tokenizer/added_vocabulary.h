// AddedVocabulary: the "added_tokens" of a tokenizer.json (chat markers such
// as <|im_start|>, <|begin_of_text|>, tool tags), found in the text before
// pre-tokenization so that BPE never splits them.
//
// Matching follows Hugging Face's AddedVocabulary: leftmost-longest over all
// added tokens; `single_word` tokens only match between non-word characters;
// `lstrip`/`rstrip` tokens swallow the whitespace on that side. Tokens with
// normalized=false are matched in the raw text, the others in the normalized
// text (the caller runs two AddedVocabulary instances, see BpeTokenizer).
// The `special` flag does not change matching; it marks the tokens that
// decode(..., SpecialTokens::Skip) drops.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace lwb {

struct AddedToken
{
    std::int64_t id = 0;
    std::string content;
    bool special = false;
    bool singleWord = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = false;
};

class AddedVocabulary
{
public:
    // One stretch of text: either plain text to pre-tokenize or a token id.
    struct Segment
    {
        std::string text;     // empty for a token
        std::int64_t id = -1; // -1 for text
    };

    AddedVocabulary() = default;
    explicit AddedVocabulary(std::vector<AddedToken> tokens);

    bool empty() const { return tokens_.empty(); }
    // `text` must be valid UTF-8. Text segments are never empty.
    std::vector<Segment> split(const std::string &text) const;

private:
    std::vector<AddedToken> tokens_;
    // Token indices by first byte, longest content first.
    std::unordered_map<unsigned char, std::vector<std::size_t>> byFirstByte_;
};

} // namespace lwb
