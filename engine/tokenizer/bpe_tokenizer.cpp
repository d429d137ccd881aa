// BpeTokenizer: assembling normalizer, added tokens, pre-tokenizer and BPE.
#include "engine/tokenizer/bpe_tokenizer.h"

#include "engine/core/error.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/tokenizer_json.h"
#include "engine/tokenizer/utf8.h"

#include <sys/stat.h>

namespace lwb {

namespace {

std::vector<AddedToken> selectAdded(const std::vector<AddedToken> &tokens, bool normalized,
                                    const UnicodeNormalizer &normalizer)
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
    , model_(json.model, json.path)
    , rawAdded_(selectAdded(json.addedTokens, false, normalizer_))
    , normalizedAdded_(selectAdded(json.addedTokens, true, normalizer_))
    , chatTemplate_(json.chatTemplate)
    , chatTemplateOrigin_(json.chatTemplateOrigin)
{
    vocabSize_ = model_.maxId() + 1;
    for (std::size_t i = 0; i < json.addedTokens.size(); ++i) {
        const AddedToken &token = json.addedTokens[i];
        if (findInvalidUtf8(token.content) != std::string::npos)
            throw Error(json.path + ": added_tokens[" + std::to_string(i) + "].content",
                        "not valid UTF-8");
        addedById_[token.id] = token;
        addedByContent_[token.content] = token.id;
        // The ByteLevel decoder reads every token through the alphabet, added
        // ones too, falling back to the token's own UTF-8.
        const std::optional<std::string> bytes = byteLevelToBytes(token.content);
        addedBytes_[token.id] = bytes ? *bytes : token.content;
        vocabSize_ = std::max(vocabSize_, token.id + 1);
    }
    // A named token missing from the vocabulary has no id; what needs it
    // says so (specialTokens_.missingEndTokenMessage() for the end token).
    specialTokens_ = resolveSpecialTokenIds(json.specialTokens,
                                            [this](const std::string &token) { return tokenToId(token); });
    const auto idOf = [](const std::optional<ResolvedSpecialToken> &token) {
        return token ? token->id : std::nullopt;
    };
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
    const auto encodeText = [&](const std::string &stretch) {
        for (const std::string &piece : preTokenizer_.split(stretch))
            model_.encodePiece(piece, ids);
    };
    for (const AddedVocabulary::Segment &raw : rawAdded_.split(text)) {
        if (raw.id >= 0) {
            ids.push_back(raw.id);
            continue;
        }
        const std::string normalized = normalizer_.normalize(raw.text);
        for (const AddedVocabulary::Segment &segment : normalizedAdded_.split(normalized)) {
            if (segment.id >= 0)
                ids.push_back(segment.id);
            else
                encodeText(segment.text);
        }
    }
    return ids;
}

std::string BpeTokenizer::decode(const std::vector<std::int64_t> &ids, SpecialTokens special) const
{
    std::string bytes;
    for (const std::int64_t id : ids) {
        const auto added = addedById_.find(id);
        if (added != addedById_.end()) {
            if (!(added->second.special && special == SpecialTokens::Skip))
                bytes += addedBytes_.at(id);
            continue;
        }
        if (const std::string *token = model_.bytesOf(id))
            bytes += *token;
    }
    return repairUtf8(bytes);
}

std::optional<std::int64_t> BpeTokenizer::tokenToId(const std::string &token) const
{
    const auto it = addedByContent_.find(token);
    if (it != addedByContent_.end())
        return it->second;
    return model_.idOfSpelled(token);
}

std::optional<std::string> BpeTokenizer::idToToken(std::int64_t id) const
{
    const auto added = addedById_.find(id);
    if (added != addedById_.end())
        return added->second.content;
    if (const std::string *bytes = model_.bytesOf(id)) {
        const std::string spelled = bytesToByteLevel(*bytes);
        if (model_.idOfSpelled(spelled) == id)
            return spelled;
        return *bytes; // a token outside the byte-level alphabet
    }
    return std::nullopt;
}

bool BpeTokenizer::isSpecial(std::int64_t id) const
{
    const auto added = addedById_.find(id);
    return added != addedById_.end() && added->second.special;
}

} // namespace lwb
