// BpeModel: vocabulary/merge loading and the rank-ordered merge loop.
#include "engine/tokenizer/bpe_model.h"

#include "engine/core/error.h"
#include "engine/tokenizer/byte_level.h"

#include <mutex>
#include <queue>
#include <tuple>

namespace lwb {

namespace {

constexpr std::int64_t kMaxId = (std::int64_t(1) << 31) - 1;

} // namespace

BpeModel::BpeModel(const BpeModelConfig &config, const std::string &source)
    : ignoreMerges_(config.ignoreMerges)
    , fuseUnk_(config.fuseUnk)
{
    std::int64_t maxId = -1;
    for (const auto &[token, id] : config.vocab) {
        if (id < 0 || id > kMaxId)
            throw Error(source + ": model.vocab." + token,
                        "id " + std::to_string(id) + " is outside [0, 2^31)");
        maxId = std::max(maxId, id);
    }
    idToBytes_.resize(static_cast<std::size_t>(maxId + 1));
    hasId_.assign(static_cast<std::size_t>(maxId + 1), false);
    std::fill(std::begin(byteIds_), std::end(byteIds_), -1);

    for (const auto &[token, id] : config.vocab) {
        spelled_[token] = id;
        // A token outside the byte-level alphabet cannot come out of encoding;
        // it decodes to its own UTF-8, as Hugging Face's ByteLevel decoder does.
        const std::optional<std::string> raw = byteLevelToBytes(token);
        idToBytes_[static_cast<std::size_t>(id)] = raw ? *raw : token;
        hasId_[static_cast<std::size_t>(id)] = true;
        if (raw) {
            rawToId_[*raw] = id;
            if (raw->size() == 1)
                byteIds_[static_cast<unsigned char>((*raw)[0])] = id;
        }
    }
    if (config.unkToken) {
        const auto it = spelled_.find(*config.unkToken);
        if (it == spelled_.end())
            throw Error(source + ": model.unk_token",
                        "\"" + *config.unkToken + "\" is not in the vocabulary");
        unkId_ = it->second;
    }

    merges_.reserve(config.merges.size());
    for (std::size_t rank = 0; rank < config.merges.size(); ++rank) {
        const auto &[left, right] = config.merges[rank];
        const std::string where = source + ": model.merges[" + std::to_string(rank) + "]";
        const auto leftIt = spelled_.find(left);
        const auto rightIt = spelled_.find(right);
        const auto mergedIt = spelled_.find(left + right);
        if (leftIt == spelled_.end())
            throw Error(where, "token \"" + left + "\" is not in the vocabulary");
        if (rightIt == spelled_.end())
            throw Error(where, "token \"" + right + "\" is not in the vocabulary");
        if (mergedIt == spelled_.end())
            throw Error(where, "merged token \"" + left + right + "\" is not in the vocabulary");
        // A later duplicate overrides an earlier one, as in Hugging Face.
        merges_[pairKey(leftIt->second, rightIt->second)]
            = Merge{static_cast<std::uint32_t>(rank), mergedIt->second};
    }
}

const std::string *BpeModel::bytesOf(std::int64_t id) const
{
    if (id < 0 || id >= static_cast<std::int64_t>(idToBytes_.size())
        || !hasId_[static_cast<std::size_t>(id)])
        return nullptr;
    return &idToBytes_[static_cast<std::size_t>(id)];
}

std::optional<std::int64_t> BpeModel::idOfSpelled(const std::string &spelled) const
{
    const auto it = spelled_.find(spelled);
    if (it == spelled_.end())
        return std::nullopt;
    return it->second;
}

void BpeModel::encodePiece(const std::string &piece, std::vector<std::int64_t> &ids) const
{
    if (ignoreMerges_) {
        const auto it = rawToId_.find(piece);
        if (it != rawToId_.end()) {
            ids.push_back(it->second);
            return;
        }
    }
    const bool cacheable = piece.size() <= kMaxCachedPiece;
    if (cacheable) {
        std::shared_lock lock(cacheMutex_);
        const auto it = cache_.find(piece);
        if (it != cache_.end()) {
            ids.insert(ids.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    std::vector<std::int64_t> result;
    mergeLoop(piece, result);
    ids.insert(ids.end(), result.begin(), result.end());
    if (cacheable) {
        std::unique_lock lock(cacheMutex_);
        if (cache_.size() < kCacheCapacity)
            cache_.emplace(piece, std::move(result));
    }
}

void BpeModel::mergeLoop(const std::string &piece, std::vector<std::int64_t> &out) const
{
    struct Symbol
    {
        std::int64_t id;
        int prev;
        int next;
        bool alive;
    };
    std::vector<Symbol> symbols;
    symbols.reserve(piece.size());
    for (const char byte : piece) {
        std::int64_t id = byteIds_[static_cast<unsigned char>(byte)];
        if (id < 0) {
            if (!unkId_)
                continue; // no token and no unk: the byte is dropped, as in HF
            if (fuseUnk_ && !symbols.empty() && symbols.back().id == *unkId_)
                continue;
            id = *unkId_;
        }
        const int index = static_cast<int>(symbols.size());
        symbols.push_back({id, index - 1, -1, true});
        if (index > 0)
            symbols[index - 1].next = index;
    }

    // (rank, position, left id, right id); smallest rank, then leftmost first.
    using Candidate = std::tuple<std::uint32_t, int, std::int64_t, std::int64_t>;
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
    const auto consider = [&](int left) {
        if (left < 0 || symbols[left].next < 0)
            return;
        const Symbol &a = symbols[left];
        const Symbol &b = symbols[a.next];
        const auto it = merges_.find(pairKey(a.id, b.id));
        if (it != merges_.end())
            queue.emplace(it->second.rank, left, a.id, b.id);
    };
    for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i)
        consider(i);

    while (!queue.empty()) {
        const auto [rank, pos, leftId, rightId] = queue.top();
        queue.pop();
        Symbol &left = symbols[pos];
        if (!left.alive || left.next < 0 || left.id != leftId)
            continue;
        Symbol &right = symbols[left.next];
        if (right.id != rightId)
            continue;
        left.id = merges_.at(pairKey(leftId, rightId)).id;
        right.alive = false;
        left.next = right.next;
        if (right.next >= 0)
            symbols[right.next].prev = pos;
        consider(left.prev);
        consider(pos);
    }

    for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next)
        out.push_back(symbols[i].id);
}

} // namespace lwb
