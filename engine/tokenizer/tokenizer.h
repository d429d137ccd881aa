// lwb::Tokenizer: what the engine needs from any tokenizer (the built-in byte
// tokenizer, Hugging Face byte-level BPE): text to ids and back, the vocabulary
// size for the embedding, and the ids of the special tokens a model uses.
//
// encode() returns the plain encoding of the text: it adds no BOS/EOS and
// applies no template; callers that need them add bosId()/eosId() themselves
// (engine/data/sequence_format.h), or ask encodeWithSpecialTokens().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lwb {

// Whether decode() writes special tokens (BOS, EOS, chat markers) as text.
enum class SpecialTokens {
    Keep,
    Skip,
};

class Tokenizer
{
public:
    virtual ~Tokenizer() = default;

    virtual std::vector<std::int64_t> encode(const std::string &text) const = 0;
    // encode() with the special tokens the tokenizer puts around a sequence
    // (Hugging Face's add_special_tokens=True: a tokenizer.json's
    // post-processor). The default puts bosId() first when prependsBos().
    virtual std::vector<std::int64_t> encodeWithSpecialTokens(const std::string &text) const;
    // Ids with no token are ignored; bytes that do not form valid UTF-8 come
    // out as U+FFFD.
    virtual std::string decode(const std::vector<std::int64_t> &ids, SpecialTokens special) const = 0;
    // One more than the largest id: the rows an embedding table needs.
    virtual std::int64_t vocabSize() const = 0;
    virtual std::optional<std::int64_t> bosId() const = 0;
    virtual std::optional<std::int64_t> eosId() const = 0;
    virtual std::optional<std::int64_t> padId() const = 0;
    // Whether a model's sequences start with bosId(): the byte tokenizer's
    // do; a tokenizer.json says so by add_bos_token or its post-processor.
    virtual bool prependsBos() const = 0;
    // The id of a token spelled as in the vocabulary ("<|im_end|>"), if any.
    virtual std::optional<std::int64_t> tokenToId(const std::string &token) const = 0;
};

inline std::vector<std::int64_t> Tokenizer::encodeWithSpecialTokens(const std::string &text) const
{
    std::vector<std::int64_t> ids = encode(text);
    if (prependsBos() && bosId())
        ids.insert(ids.begin(), *bosId());
    return ids;
}

} // namespace lwb
