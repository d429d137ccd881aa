// See sequence_format.h.
#include "engine/data/sequence_format.h"

#include "engine/core/error.h"
#include "engine/model/base_model.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/byte_tokenizer.h"

#include <filesystem>

namespace lwb {

SequenceFormat::SequenceFormat(std::shared_ptr<const Tokenizer> tokenizer, const std::string &source)
    : tokenizer_(std::move(tokenizer))
    , byteLevel_(dynamic_cast<const ByteTokenizer *>(tokenizer_.get()) != nullptr)
{
    eosId_ = tokenizer_->eosId();
    padId_ = tokenizer_->padId().value_or(eosId_.value_or(0));
    if (tokenizer_->prependsBos())
        bosId_ = tokenizer_->bosId();
    const auto *bpe = dynamic_cast<const BpeTokenizer *>(tokenizer_.get());
    if (bpe)
        stopIds_ = bpe->specialTokens().stopIds;
    else if (eosId_)
        stopIds_ = {*eosId_};
    if (!eosId_)
        missingEos_
            = {source, bpe ? bpe->specialTokens().missingEndTokenMessage()
                           : std::string("the tokenizer names no eos_token: answers need an end token for training")};
    if (bpe && bpe->chatTemplate()) {
        auto tokenText = [&](std::optional<std::int64_t> id) {
            return id ? tokenizer_->decode({*id}, SpecialTokens::Keep) : std::string();
        };
        chat_ = ChatFormat(*bpe->chatTemplate(), bpe->chatTemplateOrigin(),
                           {tokenText(tokenizer_->bosId()), tokenText(eosId_)}, bosId_.has_value());
    }
}

SequenceFormat SequenceFormat::byteLevel()
{
    return SequenceFormat(std::make_shared<ByteTokenizer>(), "byte tokenizer");
}

SequenceFormat SequenceFormat::forModelFolder(const std::string &folder, std::int64_t vocabSize)
{
    const auto file = (std::filesystem::path(folder) / "tokenizer.json").string();
    const bool hasFile = std::filesystem::exists(file);
    auto format = hasFile ? SequenceFormat(BpeTokenizer::fromFile(file), file) : byteLevel();
    if (format.tokenizer().vocabSize() > vocabSize)
        throw Error(hasFile ? file : folder + "/config.json",
                    (hasFile ? "has token ids up to " : "has no tokenizer.json, and the byte tokenizer's ids go up to ")
                        + std::to_string(format.tokenizer().vocabSize() - 1) + ", but the model's vocab_size is "
                        + std::to_string(vocabSize));
    return format;
}

SequenceFormat SequenceFormat::forModel(const ModelConfig &model)
{
    if (model.path.empty())
        return byteLevel();
    return forModelFolder(resolveModelPath(model.path), model.vocabSize);
}

std::vector<std::int64_t> SequenceFormat::promptIds(const std::string &prompt) const
{
    std::vector<std::int64_t> ids;
    if (bosId_)
        ids.push_back(*bosId_);
    const auto text = tokenizer_->encode(prompt);
    ids.insert(ids.end(), text.begin(), text.end());
    return ids;
}

std::vector<std::int64_t> SequenceFormat::answerIds(const std::string &answer) const
{
    auto ids = tokenizer_->encode(answer);
    ids.push_back(eosId());
    return ids;
}

std::int64_t SequenceFormat::eosId() const
{
    if (!eosId_)
        throw Error(missingEos_.first, missingEos_.second);
    return *eosId_;
}

std::string SequenceFormat::answerText(const std::vector<std::int64_t> &ids) const
{
    return tokenizer_->decode(ids, SpecialTokens::Skip);
}

std::string SequenceFormat::referenceText(const std::string &answer) const
{
    return answerText(tokenizer_->encode(answer));
}

} // namespace lwb
