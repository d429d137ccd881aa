// BpeTokenizer: a Hugging Face tokenizer.json byte-level BPE tokenizer
// (GPT-2, Llama-3, Qwen2/3) behind the lwb::Tokenizer interface.
//
// encode(text), the pipeline of Hugging Face tokenizers:
//   1. added tokens with normalized=false are cut out of the raw text;
//   2. the rest is normalized (NFC for Qwen), then added tokens with
//      normalized=true are cut out;
//   3. each remaining stretch is pre-tokenized (Split regex / ByteLevel);
//   4. each piece is BPE-merged into ids.
// decode(ids) concatenates each token's bytes (added tokens contribute their
// text, special ones only with SpecialTokens::Keep) and repairs invalid UTF-8
// with U+FFFD, like the ByteLevel decoder.
//
// Text passed to encode() must be valid UTF-8, otherwise lwb::Error names the
// byte offset. Instances are immutable after loading and safe to share
// between threads (the merge cache locks internally).
#pragma once

#include "engine/tokenizer/added_vocabulary.h"
#include "engine/tokenizer/bpe_model.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/special_tokens.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode_normalizer.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace lwb {

struct TokenizerJson;

class BpeTokenizer : public Tokenizer
{
public:
    // Reads tokenizer.json (and tokenizer_config.json beside it). `path` may
    // also be the directory holding them. Throws lwb::Error.
    static std::unique_ptr<BpeTokenizer> fromFile(const std::string &path);
    explicit BpeTokenizer(const TokenizerJson &json);

    std::vector<std::int64_t> encode(const std::string &text) const override;
    std::string decode(const std::vector<std::int64_t> &ids, SpecialTokens special) const override;
    std::int64_t vocabSize() const override { return vocabSize_; }
    std::optional<std::int64_t> bosId() const override { return bosId_; }
    std::optional<std::int64_t> eosId() const override { return eosId_; }
    std::optional<std::int64_t> padId() const override { return padId_; }
    bool prependsBos() const override { return prependsBos_; }
    std::optional<std::int64_t> tokenToId(const std::string &token) const override;

    // The token as spelled in tokenizer.json ("Ġhello", "<|im_end|>").
    std::optional<std::string> idToToken(std::int64_t id) const;
    bool isSpecial(std::int64_t id) const;
    const std::string &sourcePath() const { return sourcePath_; }
    // The chat template (tokenizer_json.h says where it comes from), unparsed,
    // and where it came from for errors.
    const std::optional<std::string> &chatTemplate() const { return chatTemplate_; }
    const std::string &chatTemplateOrigin() const { return chatTemplateOrigin_; }
    // bos/eos/pad/unk, stop ids and the end token, each with its origin
    // (special_tokens.h). eosId() is specialTokens().endTokenId.
    const ResolvedSpecialTokens &specialTokens() const { return specialTokens_; }

private:
    std::string sourcePath_;
    UnicodeNormalizer normalizer_;
    PreTokenizer preTokenizer_;
    BpeModel model_;
    AddedVocabulary rawAdded_;        // normalized=false: matched before normalizing
    AddedVocabulary normalizedAdded_; // normalized=true: matched after
    std::unordered_map<std::int64_t, AddedToken> addedById_;
    std::unordered_map<std::string, std::int64_t> addedByContent_;
    std::unordered_map<std::int64_t, std::string> addedBytes_; // what decode writes
    std::int64_t vocabSize_ = 0;
    std::optional<std::int64_t> bosId_;
    std::optional<std::int64_t> eosId_;
    std::optional<std::int64_t> padId_;
    bool prependsBos_ = false;
    std::optional<std::string> chatTemplate_;
    std::string chatTemplateOrigin_;
    ResolvedSpecialTokens specialTokens_;
};

} // namespace lwb
