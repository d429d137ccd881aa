// WordPieceModel: the vocabulary and greedy longest-match-first (see
// wordpiece_model.h).
#include "engine/tokenizer/wordpiece_model.h"

#include "engine/core/error.h"
#include "engine/tokenizer/utf8.h"

namespace lwb {

namespace {

constexpr std::int64_t kMaxId = (std::int64_t(1) << 31) - 1;

} // namespace

WordPieceModel::WordPieceModel(const WordPieceModelConfig &config, const std::string &source)
    : source_(source)
    , unkToken_(config.unkToken)
    , prefix_(config.continuingSubwordPrefix)
    , maxChars_(config.maxInputCharsPerWord)
{
    std::int64_t maxId = -1;
    for (const auto &[token, id] : config.vocab) {
        if (id < 0 || id > kMaxId)
            throw Error(source + ": model.vocab." + token, "id " + std::to_string(id) + " is outside [0, 2^31)");
        maxId = std::max(maxId, id);
    }
    idToToken_.resize(static_cast<std::size_t>(maxId + 1));
    hasId_.assign(static_cast<std::size_t>(maxId + 1), false);
    vocab_.reserve(config.vocab.size());
    for (const auto &[token, id] : config.vocab) {
        vocab_[token] = id;
        idToToken_[static_cast<std::size_t>(id)] = token;
        hasId_[static_cast<std::size_t>(id)] = true;
    }
}

std::int64_t WordPieceModel::unkId() const
{
    const auto it = vocab_.find(unkToken_);
    if (it == vocab_.end())
        throw Error(source_ + ": model.unk_token",
                    "a word has no WordPiece split and the unk_token \"" + unkToken_ + "\" is not in the vocabulary");
    return it->second;
}

void WordPieceModel::encodePiece(const std::string &piece, std::vector<std::int64_t> &ids) const
{
    std::size_t characters = 0;
    for (std::size_t pos = 0; pos < piece.size() && characters <= maxChars_; ++characters)
        nextCodePoint(piece, pos);
    if (characters > maxChars_) {
        ids.push_back(unkId());
        return;
    }
    const std::size_t first = ids.size();
    std::string candidate;
    for (std::size_t start = 0; start < piece.size();) {
        std::size_t end = piece.size();
        bool found = false;
        while (start < end) {
            candidate.assign(start > 0 ? prefix_ : std::string());
            candidate.append(piece, start, end - start);
            if (const auto it = vocab_.find(candidate); it != vocab_.end()) {
                ids.push_back(it->second);
                found = true;
                break;
            }
            // One character shorter (the last character of the candidate,
            // which is the piece's own unless the rest is the prefix alone).
            std::size_t cut = candidate.size();
            previousCodePoint(candidate, cut);
            end -= candidate.size() - cut;
        }
        if (!found) {
            ids.resize(first);
            ids.push_back(unkId());
            return;
        }
        start = end;
    }
}

const std::string *WordPieceModel::spelledOf(std::int64_t id) const
{
    if (id < 0 || id >= static_cast<std::int64_t>(idToToken_.size()) || !hasId_[static_cast<std::size_t>(id)])
        return nullptr;
    return &idToToken_[static_cast<std::size_t>(id)];
}

std::optional<std::int64_t> WordPieceModel::idOfSpelled(const std::string &spelled) const
{
    const auto it = vocab_.find(spelled);
    if (it == vocab_.end())
        return std::nullopt;
    return it->second;
}

} // namespace lwb
