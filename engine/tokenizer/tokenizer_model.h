// TokenizerModel: the "model" step of a tokenizer.json pipeline, the part
// that turns one pre-tokenized piece into ids. BPE (bpe_model.h), Unigram
// (unigram_model.h) and WordPiece (wordpiece_model.h) implement it; the rest
// of the pipeline (bpe_tokenizer.h) does not know which one it holds, and
// tokenizer_model_config.h builds the one tokenizer.json names.
// Implementations are immutable after loading and safe to share between
// threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lwb {

class TokenizerModel
{
public:
    virtual ~TokenizerModel() = default;

    // Appends the ids of one piece (non-empty, valid UTF-8 unless the model
    // is byte-level BPE) to `ids`. Throws lwb::Error where tokenizers fails
    // (an unknown character and no unk token).
    virtual void encodePiece(const std::string &piece, std::vector<std::int64_t> &ids) const = 0;
    // The token as tokenizer.json spells it (nullptr when the id has none).
    virtual const std::string *spelledOf(std::int64_t id) const = 0;
    virtual std::optional<std::int64_t> idOfSpelled(const std::string &spelled) const = 0;
    // The largest id of the vocabulary (-1 when it is empty).
    virtual std::int64_t maxId() const = 0;
};

} // namespace lwb
