// BpeModel: vocabulary/merge loading, the symbols of a piece (prefix/suffix,
// byte fallback, unk) and the rank-ordered merge loop (see bpe_model.h).
#include "engine/tokenizer/bpe_model.h"

#include "engine/core/error.h"
#include "engine/tokenizer/byte_level.h"

#include <cstdio>
#include <mutex>
#include <queue>
#include <tuple>

namespace lwb {

namespace {

constexpr std::int64_t kMaxId = (std::int64_t(1) << 31) - 1;

// The length of the UTF-8 character that starts with `lead` (valid text).
std::size_t characterLength(unsigned char lead)
{
    return lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
}

} // namespace

BpeModel::BpeModel(const BpeModelConfig &config, const std::string &source)
    : byteLevel_(config.byteLevel)
    , ignoreMerges_(config.ignoreMerges)
    , byteFallback_(config.byteFallback)
    , fuseUnk_(config.fuseUnk)
{
    std::int64_t maxId = -1;
    for (const auto &[token, id] : config.vocab) {
        if (id < 0 || id > kMaxId)
            throw Error(source + ": model.vocab." + token, "id " + std::to_string(id) + " is outside [0, 2^31)");
        maxId = std::max(maxId, id);
    }
    idToSpelled_.resize(static_cast<std::size_t>(maxId + 1));
    hasId_.assign(static_cast<std::size_t>(maxId + 1), false);
    std::fill(std::begin(byteIds_), std::end(byteIds_), -1);
    std::fill(std::begin(fallbackIds_), std::end(fallbackIds_), -1);

    spelled_.reserve(config.vocab.size());
    pieceToId_.reserve(config.vocab.size());
    for (const auto &[token, id] : config.vocab) {
        spelled_[texts_.emplace_back(token)] = id;
        idToSpelled_[static_cast<std::size_t>(id)] = token;
        hasId_[static_cast<std::size_t>(id)] = true;
        if (!byteLevel_) {
            pieceToId_[texts_.back()] = id;
            continue;
        }
        // A token outside the byte-level alphabet cannot come out of encoding.
        const std::optional<std::string> raw = byteLevelToBytes(token);
        if (!raw)
            continue;
        pieceToId_[texts_.emplace_back(*raw)] = id;
        if (raw->size() == 1)
            byteIds_[static_cast<unsigned char>((*raw)[0])] = id;
    }
    if (byteFallback_) {
        for (int b = 0; b < 256; ++b) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            if (const auto it = spelled_.find(std::string_view(name)); it != spelled_.end())
                fallbackIds_[b] = it->second;
        }
    }
    if (config.unkToken) {
        const auto it = spelled_.find(*config.unkToken);
        if (it == spelled_.end())
            throw Error(source + ": model.unk_token", "\"" + *config.unkToken + "\" is not in the vocabulary");
        unkId_ = it->second;
    }
    const auto inPieceSpelling = [&](const std::string &text, const char *key) {
        if (!byteLevel_)
            return text;
        const std::optional<std::string> raw = byteLevelToBytes(text);
        if (!raw)
            throw Error(source + ": model." + key,
                        "\"" + text + "\" is not spelled in the byte-level alphabet of the vocabulary");
        return *raw;
    };
    prefix_ = inPieceSpelling(config.continuingSubwordPrefix, "continuing_subword_prefix");
    suffix_ = inPieceSpelling(config.endOfWordSuffix, "end_of_word_suffix");

    // As the crate: a merge (a, b) makes a + b without the prefix's length of b.
    const std::size_t prefixLength = config.continuingSubwordPrefix.size();
    merges_.reserve(config.merges.size());
    for (std::size_t rank = 0; rank < config.merges.size(); ++rank) {
        const auto &[left, right] = config.merges[rank];
        const std::string where = source + ": model.merges[" + std::to_string(rank) + "]";
        const auto leftIt = spelled_.find(left);
        const auto rightIt = spelled_.find(right);
        if (leftIt == spelled_.end())
            throw Error(where, "token \"" + left + "\" is not in the vocabulary");
        if (rightIt == spelled_.end())
            throw Error(where, "token \"" + right + "\" is not in the vocabulary");
        if (right.size() < prefixLength)
            throw Error(where, "token \"" + right + "\" is shorter than the continuing_subword_prefix");
        const std::string merged = left + right.substr(prefixLength);
        const auto mergedIt = spelled_.find(merged);
        if (mergedIt == spelled_.end())
            throw Error(where, "merged token \"" + merged + "\" is not in the vocabulary");
        // A later duplicate overrides an earlier one, as in Hugging Face.
        merges_[pairKey(leftIt->second, rightIt->second)] = Merge{static_cast<std::uint32_t>(rank), mergedIt->second};
    }
}

const std::string *BpeModel::spelledOf(std::int64_t id) const
{
    if (id < 0 || id >= static_cast<std::int64_t>(idToSpelled_.size()) || !hasId_[static_cast<std::size_t>(id)])
        return nullptr;
    return &idToSpelled_[static_cast<std::size_t>(id)];
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
        const auto it = pieceToId_.find(std::string_view(piece));
        if (it != pieceToId_.end()) {
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

// The crate's merge_word before merging, including its order of events: a
// pending unk is written before the next known symbol, but after the
// <0xNN> tokens of a byte-fallback symbol that follows it.
void BpeModel::initialSymbols(std::string_view piece, std::vector<std::int64_t> &symbols) const
{
    const bool plainBytes = byteLevel_ && prefix_.empty() && suffix_.empty();
    std::optional<std::int64_t> pendingUnk;
    std::string decorated; // the symbol with prefix/suffix, reused
    std::size_t pos = 0;
    while (pos < piece.size()) {
        const std::size_t begin = pos;
        pos += byteLevel_ ? 1 : characterLength(static_cast<unsigned char>(piece[pos]));
        std::string_view symbol = piece.substr(begin, pos - begin);
        std::int64_t id = -1;
        if (plainBytes) {
            id = byteIds_[static_cast<unsigned char>(piece[begin])];
        } else {
            const bool withPrefix = begin > 0 && !prefix_.empty();
            const bool withSuffix = pos == piece.size() && !suffix_.empty();
            if (withPrefix || withSuffix) {
                decorated.assign(withPrefix ? prefix_ : std::string());
                decorated.append(symbol);
                if (withSuffix)
                    decorated += suffix_;
                symbol = decorated;
            }
            const auto it = pieceToId_.find(symbol);
            if (it != pieceToId_.end())
                id = it->second;
        }
        if (id >= 0) {
            if (pendingUnk) {
                symbols.push_back(*pendingUnk);
                pendingUnk.reset();
            }
            symbols.push_back(id);
            continue;
        }
        if (byteFallback_) {
            bool all = true;
            for (const char byte : symbol)
                all = all && fallbackIds_[static_cast<unsigned char>(byte)] >= 0;
            if (all) {
                for (const char byte : symbol)
                    symbols.push_back(fallbackIds_[static_cast<unsigned char>(byte)]);
                continue;
            }
        }
        if (!unkId_)
            continue; // no token and no unk: the symbol is dropped, as in HF
        if (pendingUnk && !fuseUnk_)
            symbols.push_back(*pendingUnk);
        pendingUnk = unkId_;
    }
    if (pendingUnk)
        symbols.push_back(*pendingUnk);
}

void BpeModel::mergeLoop(std::string_view piece, std::vector<std::int64_t> &out) const
{
    struct Symbol
    {
        std::int64_t id;
        int prev;
        int next;
        bool alive;
    };
    std::vector<std::int64_t> initial;
    initial.reserve(piece.size());
    initialSymbols(piece, initial);
    std::vector<Symbol> symbols;
    symbols.reserve(initial.size());
    for (std::size_t i = 0; i < initial.size(); ++i) {
        const int index = static_cast<int>(i);
        symbols.push_back({initial[i], index - 1, index + 1 < static_cast<int>(initial.size()) ? index + 1 : -1, true});
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
