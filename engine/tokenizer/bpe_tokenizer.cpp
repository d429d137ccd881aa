// BpeTokenizer: assembling normalizer, added tokens, pre-tokenizer and the
// model (BPE, Unigram or WordPiece).
#include "engine/tokenizer/bpe_tokenizer.h"

#include "engine/core/error.h"
#include "engine/tokenizer/tokenizer_json.h"
#include "engine/tokenizer/tokenizer_model_config.h"
#include "engine/tokenizer/utf8.h"

#include <sys/stat.h>

namespace lwb {

namespace {

std::vector<AddedToken> selectAdded(const std::vector<AddedToken> &tokens, bool normalized,
                                    const Normalizer &normalizer)
{
    std::vector<AddedToken> selected;
    for (const AddedToken &token : tokens) {
        if (token.normalized != normalized)
            continue;
        AddedToken copy = token;
        if (normalized)
            copy.content = normalizer.normalize(copy.content);
        selected.push_back(std::move(copy));
    }
    return selected;
}

} // namespace

std::unique_ptr<BpeTokenizer> BpeTokenizer::fromFile(const std::string &path)
{
    struct stat st = {};
    const bool isDir = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    return std::make_unique<BpeTokenizer>(readTokenizerJson(isDir ? path + "/tokenizer.json" : path));
}

BpeTokenizer::BpeTokenizer(const TokenizerJson &json)
    : sourcePath_(json.path)
    , normalizer_(json.normalizer)
    , preTokenizer_(json.preTokenizer)
    , model_(makeTokenizerModel(json.model, json.path))
    , decoder_(json.decoder)
    , postProcessor_(json.postProcessor)
    , rawAdded_(selectAdded(json.addedTokens, false, normalizer_))
    , normalizedAdded_(selectAdded(json.addedTokens, true, normalizer_))
    , chatTemplate_(json.chatTemplate)
    , chatTemplateOrigin_(json.chatTemplateOrigin)
{
    vocabSize_ = model_->maxId() + 1;
    for (std::size_t i = 0; i < json.addedTokens.size(); ++i) {
        const AddedToken &token = json.addedTokens[i];
        if (findInvalidUtf8(token.content) != std::string::npos)
            throw Error(json.path + ": added_tokens[" + std::to_string(i) + "].content", "not valid UTF-8");
        addedById_[token.id] = token;
        addedByContent_[token.content] = token.id;
        if (token.special)
            specialContents_.insert(token.content);
        vocabSize_ = std::max(vocabSize_, token.id + 1);
    }
    // A named token missing from the vocabulary has no id; what needs it
    // says so (specialTokens_.missingEndTokenMessage() for the end token).
    specialTokens_
        = resolveSpecialTokenIds(json.specialTokens, [this](const std::string &token) { return tokenToId(token); });
    const auto idOf = [](const std::optional<ResolvedSpecialToken> &token) { return token ? token->id : std::nullopt; };
    bosId_ = idOf(specialTokens_.bos);
    eosId_ = specialTokens_.endTokenId;
    padId_ = idOf(specialTokens_.pad);
    prependsBos_ = bosId_.has_value() && json.addBosToken.value_or(false);
}

std::vector<std::int64_t> BpeTokenizer::encode(const std::string &text) const
{
    const std::size_t bad = findInvalidUtf8(text);
    if (bad != std::string::npos)
        throw Error(sourcePath_, "encode: the text is not valid UTF-8 at byte " + std::to_string(bad));

    std::vector<std::int64_t> ids;
    // Only the stretch that opens the input counts as its start (Metaspace's
    // prepend_scheme "first"); a stretch after an added token does not.
    bool atStart = true;
    for (const AddedVocabulary::Segment &raw : rawAdded_.split(text)) {
        if (raw.id >= 0) {
            ids.push_back(raw.id);
            atStart = false;
            continue;
        }
        const std::string normalized = normalizer_.normalize(raw.text);
        for (const AddedVocabulary::Segment &segment : normalizedAdded_.split(normalized)) {
            if (segment.id >= 0) {
                ids.push_back(segment.id);
            } else {
                for (const std::string &piece : preTokenizer_.split(segment.text, atStart))
                    model_->encodePiece(piece, ids);
            }
            atStart = false;
        }
    }
    return ids;
}

std::vector<std::int64_t> BpeTokenizer::encodeWithSpecialTokens(const std::string &text) const
{
    return postProcessor_.apply(encode(text), std::nullopt);
}

std::vector<std::int64_t> BpeTokenizer::encodePair(const std::string &first, const std::string &second,
                                                   bool addSpecialTokens) const
{
    std::vector<std::int64_t> ids = encode(first);
    std::vector<std::int64_t> secondIds = encode(second);
    if (addSpecialTokens)
        return postProcessor_.apply(std::move(ids), std::move(secondIds));
    ids.insert(ids.end(), secondIds.begin(), secondIds.end());
    return ids;
}

// As tokenizers: each id's token (an added token's content first), special
// ones left out by content when skipping, then the decoder over the list.
std::string BpeTokenizer::decode(const std::vector<std::int64_t> &ids, SpecialTokens special) const
{
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (const std::int64_t id : ids) {
        const auto added = addedById_.find(id);
        const std::string *token = added != addedById_.end() ? &added->second.content : model_->spelledOf(id);
        if (token == nullptr)
            continue;
        if (special == SpecialTokens::Skip && !specialContents_.empty() && specialContents_.count(*token) > 0)
            continue;
        tokens.push_back(*token);
    }
    return decoder_.decode(std::move(tokens));
}

std::optional<std::int64_t> BpeTokenizer::tokenToId(const std::string &token) const
{
    const auto it = addedByContent_.find(token);
    if (it != addedByContent_.end())
        return it->second;
    return model_->idOfSpelled(token);
}

std::optional<std::string> BpeTokenizer::idToToken(std::int64_t id) const
{
    const auto added = addedById_.find(id);
    if (added != addedById_.end())
        return added->second.content;
    if (const std::string *token = model_->spelledOf(id))
        return *token;
    return std::nullopt;
}

bool BpeTokenizer::isSpecial(std::int64_t id) const
{
    const auto added = addedById_.find(id);
    return added != addedById_.end() && added->second.special;
}

} // namespace lwb
