// BpeTokenizer: a Hugging Face tokenizer.json tokenizer behind the
// lwb::Tokenizer interface: BPE byte-level (GPT-2, Llama 3, Qwen2/3) and
// SentencePiece-style (Llama 2, Mistral, TinyLlama, Gemma: byte_fallback,
// "▁" for spaces), Unigram (T5-, ALBERT-style) and WordPiece (BERT).
//
// encode(text), the pipeline of Hugging Face tokenizers:
//   1. added tokens with normalized=false are cut out of the raw text
//      (added_vocabulary.h);
//   2. each remaining stretch is normalized (normalizer.h; Llama 2 prepends
//      "▁" to each stretch and replaces spaces by "▁"), then added tokens
//      with normalized=true are cut out of it;
//   3. each remaining stretch is pre-tokenized (pre_tokenizer.h);
//   4. the model turns each piece into ids (tokenizer_model.h: BPE merges,
//      Unigram's Viterbi or WordPiece's longest match first).
// The class keeps its first name: it is the whole tokenizer.json pipeline,
// whichever model the file names.
// encodeWithSpecialTokens / encodePair add the post-processor's special
// tokens (post_processor.h), as tokenizers' add_special_tokens=True does.
// decode(ids) takes each id's token (special added tokens dropped with
// SpecialTokens::Skip) and runs the decoder (decoder.h).
//
// One known difference: tokenizers decides Metaspace's prepend_scheme
// "first" by the original offset of a piece; here a piece is at the start
// when it begins the input text, which differs only when a normalizer
// removes the text's first characters (Strip, Replace with "") before a
// Metaspace "first" pre-tokenizer.
//
// Text passed to encode() must be valid UTF-8, otherwise lwb::Error names the
// byte offset. Instances are immutable after loading and safe to share
// between threads (the merge cache locks internally).
#pragma once

#include "engine/tokenizer/added_vocabulary.h"
#include "engine/tokenizer/decoder.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/post_processor.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/special_tokens.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/tokenizer_model.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
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
    std::vector<std::int64_t> encodeWithSpecialTokens(const std::string &text) const override;
    // A pair of sequences (tokenizers' encode(first, second, add_special_tokens)).
    std::vector<std::int64_t> encodePair(const std::string &first, const std::string &second,
                                         bool addSpecialTokens) const;
    std::string decode(const std::vector<std::int64_t> &ids, SpecialTokens special) const override;
    std::int64_t vocabSize() const override { return vocabSize_; }
    std::optional<std::int64_t> bosId() const override { return bosId_; }
    std::optional<std::int64_t> eosId() const override { return eosId_; }
    std::optional<std::int64_t> padId() const override { return padId_; }
    bool prependsBos() const override { return prependsBos_; }
    std::optional<std::int64_t> tokenToId(const std::string &token) const override;

    // The token as spelled in tokenizer.json ("Ġhello", "▁the", "<|im_end|>").
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
    Normalizer normalizer_;
    PreTokenizer preTokenizer_;
    std::unique_ptr<const TokenizerModel> model_; // BPE, Unigram or WordPiece
    Decoder decoder_;
    PostProcessor postProcessor_;
    AddedVocabulary rawAdded_;        // normalized=false: matched before normalizing
    AddedVocabulary normalizedAdded_; // normalized=true: matched after
    std::unordered_map<std::int64_t, AddedToken> addedById_;
    std::unordered_map<std::string, std::int64_t> addedByContent_;
    std::unordered_set<std::string> specialContents_; // what decode(..., Skip) leaves out
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
