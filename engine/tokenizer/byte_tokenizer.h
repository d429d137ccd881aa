// ByteTokenizer: the tokenizer of the built-in models. Every UTF-8 byte is
// its own token (ids 0..255), followed by three specials: BOS 256, EOS 257,
// PAD 258. No vocabulary file, vocab size 259, lossless for any valid UTF-8.
#pragma once

#include "engine/tokenizer/tokenizer.h"

namespace lwb {

class ByteTokenizer : public Tokenizer
{
public:
    static constexpr std::int64_t kBos = 256;
    static constexpr std::int64_t kEos = 257;
    static constexpr std::int64_t kPad = 258;
    static constexpr std::int64_t kVocabSize = 259;

    std::vector<std::int64_t> encode(const std::string &text) const override;
    // Specials are written as <|bos|>, <|eos|>, <|pad|> when kept.
    std::string decode(const std::vector<std::int64_t> &ids,
                       SpecialTokens special = SpecialTokens::Skip) const override;
    std::int64_t vocabSize() const override { return kVocabSize; }
    std::optional<std::int64_t> bosId() const override { return kBos; }
    std::optional<std::int64_t> eosId() const override { return kEos; }
    std::optional<std::int64_t> padId() const override { return kPad; }
    bool prependsBos() const override { return true; }
    std::optional<std::int64_t> tokenToId(const std::string &token) const override;
};

} // namespace lwb
