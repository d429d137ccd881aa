// BpeModel: the "model" of a byte-level BPE tokenizer.json: vocabulary, merge
// ranks and the merge loop that turns one pre-tokenized piece into ids.
//
// Vocabulary and merges are spelled in the byte-level alphabet (byte_level.h);
// the model converts them to raw bytes once at load, so encoding works on the
// piece's bytes directly. The merge loop is Hugging Face's: start from one
// symbol per byte, repeatedly merge the adjacent pair with the lowest rank
// (leftmost on ties), one merge at a time, until no pair has a rank. With
// ignore_merges (Llama-3), a piece that is itself in the vocabulary is one
// token without merging. Results are cached per piece (bounded, like HF's
// 10,000-entry cache, pieces up to 256 bytes); the model is safe to share
// between threads. Ids must lie in [0, 2^31).
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lwb {

struct BpeModelConfig
{
    std::vector<std::pair<std::string, std::int64_t>> vocab; // spelled token -> id
    std::vector<std::pair<std::string, std::string>> merges; // in rank order
    bool ignoreMerges = false;
    std::optional<std::string> unkToken; // stands for a byte missing from the vocabulary

    bool fuseUnk = false;
};

class BpeModel
{
public:
    static constexpr std::size_t kCacheCapacity = 10'000;
    static constexpr std::size_t kMaxCachedPiece = 256;

    // `source` names the file in errors (lwb::Error at "<source>: model.merges[i]").
    BpeModel(const BpeModelConfig &config, const std::string &source);

    // Appends the ids of one piece (raw bytes, non-empty) to `ids`.
    void encodePiece(const std::string &piece, std::vector<std::int64_t> &ids) const;

    // The raw bytes a token id stands for (nullptr when the id has no token).
    const std::string *bytesOf(std::int64_t id) const;
    std::optional<std::int64_t> idOfSpelled(const std::string &spelled) const;
    std::int64_t maxId() const { return static_cast<std::int64_t>(idToBytes_.size()) - 1; }
    std::size_t mergeCount() const { return merges_.size(); }

private:
    struct Merge
    {
        std::uint32_t rank;
        std::int64_t id;
    };

    static std::uint64_t pairKey(std::int64_t left, std::int64_t right)
    {
        return (static_cast<std::uint64_t>(left) << 32) | static_cast<std::uint64_t>(right);
    }

    void mergeLoop(const std::string &piece, std::vector<std::int64_t> &out) const;

    std::unordered_map<std::string, std::int64_t> spelled_;  // vocabulary as written
    std::unordered_map<std::string, std::int64_t> rawToId_;  // raw bytes -> id
    std::vector<std::string> idToBytes_;
    std::vector<bool> hasId_;
    std::unordered_map<std::uint64_t, Merge> merges_;
    std::int64_t byteIds_[256];
    std::optional<std::int64_t> unkId_;
    bool ignoreMerges_ = false;
    bool fuseUnk_ = false;

    mutable std::shared_mutex cacheMutex_;
    mutable std::unordered_map<std::string, std::vector<std::int64_t>> cache_;
};

} // namespace lwb
