// ByteTokenizer: the tokenizer of the built-in models. Every UTF-8 byte is
// its own token (ids 0..255), followed by three specials: BOS 256, EOS 257,
// PAD 258. Lossless for any text, no vocabulary file, vocab size 259.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lwb {

class ByteTokenizer
{
public:
    static constexpr std::int64_t kBos = 256;
    static constexpr std::int64_t kEos = 257;
    static constexpr std::int64_t kPad = 258;
    static constexpr std::int64_t kVocabSize = 259;

    std::vector<std::int64_t> encode(const std::string &text) const;
    // Special tokens are skipped; bytes are joined back into the original text.
    std::string decode(const std::vector<std::int64_t> &ids) const;
    std::int64_t vocabSize() const { return kVocabSize; }
};

} // namespace lwb
