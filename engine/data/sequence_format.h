// SequenceFormat: how a prompt/answer example becomes the token sequence a
// causal LM trains, is scored and answers on, for the run's tokenizer:
//
//   [BOS] prompt answer EOS
//
// - BOS comes first when the tokenizer prepends one (the byte tokenizer; a
//   tokenizer.json by add_bos_token or its post-processor template: Llama-3
//   yes, GPT-2 and Qwen no), as the model saw in pretraining.
// - Prompt and answer are encoded separately, so the answer's tokens are
//   exactly what generation must produce after the prompt (no BPE merge
//   straddles the boundary that the loss mask and exact match rely on).
// - EOS is the tokenizer's end token (its eos_token, else the first
//   config.json / generation_config.json eos_token_id: special_tokens.h). It
//   ends every answer, so answerIds() and eosId() require it (lwb::Error
//   naming the file to add "eos_token" to); a folder without one still
//   scores, tokenizes and generates (generation then runs to its limit).
// - stopIds() are the ids transformers' generate stops on (an eos_token_id
//   list: Llama 3's); `lorawb generate` stops on any of them.
// - Padding uses pad_token, else EOS, else id 0; batches mask padding by
//   length, never by id (EOS may be both a real token and the pad).
// - Chat lines use the tokenizer's chat template when it has one
//   (chatFormat(), see chat_format.h), else the documented default.
// - Exact match compares texts with special tokens dropped on both sides
//   (answerText, referenceText): an answer a template ends with a
//   special-token text that is not EOS still matches a generation that
//   produced that token.
#pragma once

#include "engine/data/chat_format.h"
#include "engine/model/model_config.h"
#include "engine/tokenizer/tokenizer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lwb {

class SequenceFormat
{
public:
    // `source` names the tokenizer in errors (its file, or "byte tokenizer").
    SequenceFormat(std::shared_ptr<const Tokenizer> tokenizer, const std::string &source);
    // The byte tokenizer of the built-in models.
    static SequenceFormat byteLevel();
    // The tokenizer of a checkpoint folder: its tokenizer.json (with
    // tokenizer_config.json) when it has one, else the byte tokenizer. Its
    // ids must fit the model's vocab_size (lwb::Error names the file).
    static SequenceFormat forModelFolder(const std::string &folder, std::int64_t vocabSize);
    // A run's base: its model.path folder's, or the byte tokenizer of a preset.
    static SequenceFormat forModel(const ModelConfig &model);

    std::vector<std::int64_t> promptIds(const std::string &prompt) const; // [BOS] prompt
    std::vector<std::int64_t> answerIds(const std::string &answer) const; // answer EOS
    // The text of generated answer tokens (without EOS or other specials).
    std::string answerText(const std::vector<std::int64_t> &ids) const;
    // What exact match compares answerText with: the example's answer as a
    // generation of its tokens would read (special-token texts dropped).
    std::string referenceText(const std::string &answer) const;
    // How chat lines become prompt and answer for this tokenizer.
    const ChatFormat &chatFormat() const { return chat_; }

    // The end token; lwb::Error (naming the file to fix) when there is none.
    std::int64_t eosId() const;
    std::optional<std::int64_t> endTokenId() const { return eosId_; }
    // The ids generation stops on: the checkpoint's eos_token_id list, else EOS.
    const std::vector<std::int64_t> &stopIds() const { return stopIds_; }
    std::int64_t padId() const { return padId_; }
    const Tokenizer &tokenizer() const { return *tokenizer_; }
    bool byteLevelTokens() const { return byteLevel_; }

private:
    std::shared_ptr<const Tokenizer> tokenizer_;
    std::optional<std::int64_t> bosId_; // set when sequences start with BOS
    std::optional<std::int64_t> eosId_;
    std::pair<std::string, std::string> missingEos_; // where and why there is no end token, for eosId()
    std::vector<std::int64_t> stopIds_;
    std::int64_t padId_ = 0;
    bool byteLevel_ = false;
    ChatFormat chat_;
};

} // namespace lwb
