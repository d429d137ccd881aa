// UnigramModel: loading the scored pieces into a byte trie, the Viterbi
// search with the crate's tie-breaking, and byte fallback (see
// unigram_model.h).
#include "engine/tokenizer/unigram_model.h"

#include "engine/core/error.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace lwb {

namespace {

// The length of the UTF-8 character that starts with `lead` (valid text).
std::size_t characterLength(unsigned char lead)
{
    return lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
}

// The best path found so far to one byte position of the piece.
struct BestPath
{
    std::int64_t id = -1;  // the last piece of the path (maybe unk)
    double score = 0.0;    // the summed score of the path
    std::size_t start = 0; // where that last piece starts
    bool reached = false;  // the crate's starts_at.is_some()
};

} // namespace

UnigramModel::UnigramModel(const UnigramModelConfig &config, const std::string &source)
    : source_(source)
    , unkId_(config.unkId)
    , byteFallback_(config.byteFallback)
{
    const std::size_t size = config.vocab.size();
    if (unkId_) {
        if (size == 0)
            throw Error(source + ": model.vocab", "the vocabulary is empty but model.unk_id is set");
        if (*unkId_ < 0 || static_cast<std::size_t>(*unkId_) >= size)
            throw Error(source + ": model.unk_id", "unk_id " + std::to_string(*unkId_)
                                                       + " is not an index of model.vocab (" + std::to_string(size)
                                                       + " pieces)");
    }
    pieces_.reserve(size);
    scores_.reserve(size);
    idOf_.reserve(size);
    trie_.emplace_back();
    double minScore = std::numeric_limits<double>::infinity();
    for (std::size_t id = 0; id < size; ++id) {
        const auto &[piece, score] = config.vocab[id];
        if (piece.empty())
            throw Error(source + ": model.vocab[" + std::to_string(id) + "]", "a piece cannot be empty");
        pieces_.push_back(piece);
        scores_.push_back(score);
        // A piece listed twice: the last listing's id, as the crate's map.
        idOf_[piece] = static_cast<std::int64_t>(id);
        std::int32_t node = 0;
        for (const char c : piece) {
            const std::uint64_t key = (static_cast<std::uint64_t>(node) << 8) | static_cast<unsigned char>(c);
            const auto [it, added] = edges_.try_emplace(key, static_cast<std::int32_t>(trie_.size()));
            if (added)
                trie_.emplace_back();
            node = it->second;
        }
        trie_[static_cast<std::size_t>(node)].id = 1; // marks a leaf; the id comes from idOf_
        minScore = std::min(minScore, score);
    }
    // The trie's leaves take the id the map gives their piece.
    for (const auto &[piece, id] : idOf_) {
        std::int32_t node = 0;
        for (const char c : piece)
            node = childOf(node, static_cast<unsigned char>(c));
        trie_[static_cast<std::size_t>(node)].id = id;
    }
    unkScore_ = minScore - kUnkPenalty;
    std::fill(std::begin(fallbackIds_), std::end(fallbackIds_), -1);
    if (byteFallback_) {
        for (int b = 0; b < 256; ++b) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            if (const auto it = idOf_.find(name); it != idOf_.end())
                fallbackIds_[b] = it->second;
        }
    }
}

std::int32_t UnigramModel::childOf(std::int32_t node, unsigned char byte) const
{
    const auto it = edges_.find((static_cast<std::uint64_t>(node) << 8) | byte);
    return it == edges_.end() ? -1 : it->second;
}

std::vector<std::string> UnigramModel::segment(const std::string &piece) const
{
    const std::size_t size = piece.size();
    std::vector<BestPath> best(size + 1);
    best[0].reached = true; // the crate's default node: score 0 (its starts_at is never read)
    const auto offer = [&](std::size_t start, std::size_t end, std::int64_t id, double score) {
        BestPath &target = best[end];
        const double candidate = score + best[start].score;
        if (!target.reached || candidate > target.score)
            target = BestPath{id, candidate, start, true};
    };
    for (std::size_t start = 0; start < size;) {
        const std::size_t charLength = characterLength(static_cast<unsigned char>(piece[start]));
        bool hasSingleCharacter = false;
        std::int32_t node = 0;
        for (std::size_t end = start; end < size;) {
            node = childOf(node, static_cast<unsigned char>(piece[end]));
            if (node < 0)
                break;
            ++end;
            const std::int64_t id = trie_[static_cast<std::size_t>(node)].id;
            if (id < 0)
                continue;
            offer(start, end, id, scores_[static_cast<std::size_t>(id)]);
            hasSingleCharacter = hasSingleCharacter || end - start == charLength;
        }
        if (!hasSingleCharacter) {
            if (!unkId_)
                throw Error(source_ + ": model.unk_id",
                            "the text holds a character that is no piece of the vocabulary (\""
                                + piece.substr(start, charLength) + "\") and unk_id is null");
            offer(start, start + charLength, *unkId_, unkScore_);
        }
        start += charLength;
    }

    // Back from the end; unk pieces next to each other become one string.
    std::vector<std::string> strings;
    std::vector<std::pair<std::size_t, std::size_t>> unknownParts; // the unk run, last first
    const auto flushUnknown = [&] {
        if (unknownParts.empty())
            return;
        std::string fused;
        for (auto it = unknownParts.rbegin(); it != unknownParts.rend(); ++it)
            fused.append(piece, it->first, it->second - it->first);
        strings.push_back(std::move(fused));
        unknownParts.clear();
    };
    for (std::size_t end = size; end > 0;) {
        const BestPath &node = best[end];
        if (unkId_ && node.id == *unkId_) {
            unknownParts.emplace_back(node.start, end);
        } else {
            flushUnknown();
            strings.push_back(piece.substr(node.start, end - node.start));
        }
        end = node.start;
    }
    flushUnknown();
    std::reverse(strings.begin(), strings.end());
    return strings;
}

void UnigramModel::encodePiece(const std::string &piece, std::vector<std::int64_t> &ids) const
{
    for (const std::string &string : segment(piece)) {
        if (const auto it = idOf_.find(string); it != idOf_.end()) {
            ids.push_back(it->second);
            continue;
        }
        if (byteFallback_ && std::all_of(string.begin(), string.end(), [&](char c) {
                return fallbackIds_[static_cast<unsigned char>(c)] >= 0;
            })) {
            for (const char c : string)
                ids.push_back(fallbackIds_[static_cast<unsigned char>(c)]);
            continue;
        }
        if (!unkId_)
            throw Error(source_ + ": model.unk_id",
                        "\"" + string + "\" is no piece of the vocabulary and unk_id is null");
        ids.push_back(*unkId_);
    }
}

const std::string *UnigramModel::spelledOf(std::int64_t id) const
{
    if (id < 0 || id >= static_cast<std::int64_t>(pieces_.size()))
        return nullptr;
    return &pieces_[static_cast<std::size_t>(id)];
}

std::optional<std::int64_t> UnigramModel::idOfSpelled(const std::string &spelled) const
{
    const auto it = idOf_.find(spelled);
    if (it == idOf_.end())
        return std::nullopt;
    return it->second;
}

} // namespace lwb
