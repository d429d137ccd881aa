// BpeModel: the "model" of a BPE tokenizer.json: vocabulary, merge ranks and
// the merge loop that turns one pre-tokenized piece into ids, as the
// tokenizers crate's BPE (models/bpe/model.rs) does.
//
// Two spellings of the vocabulary:
// - byte-level (a ByteLevel pre-tokenizer: GPT-2, Llama 3, Qwen): tokens are
//   spelled in GPT-2's byte alphabet (byte_level.h); they are converted to
//   raw bytes once at load, and a piece's symbols are its bytes;
// - plain (SentencePiece-style: Llama 2, Mistral, Gemma): tokens are plain
//   UTF-8 ("▁the"), and a piece's symbols are its characters.
// A piece is first cut into symbols: each character (byte) with the
// continuing_subword_prefix before all but the first and the
// end_of_word_suffix after the last, looked up in the vocabulary. A symbol
// that is not there becomes, with byte_fallback, one <0xNN> token per byte of
// it (when all exist), else the unk_token (consecutive ones fused into one
// with fuse_unk), else it is dropped. Then the adjacent pair with the lowest
// merge rank (leftmost on ties) is merged, one merge at a time, until no pair
// has a rank. With ignore_merges (Llama 3), a piece that is itself in the
// vocabulary is one token without merging. Dropout is refused at load (it
// makes encoding random).
//
// Results are cached per piece (bounded like the crate's 10,000-entry cache,
// pieces up to 256 bytes); the model is safe to share between threads. Ids
// must lie in [0, 2^31).
#pragma once

#include "engine/tokenizer/tokenizer_model.h"

#include <cstdint>
#include <deque>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lwb {

struct BpeModelConfig
{
    std::vector<std::pair<std::string, std::int64_t>> vocab; // spelled token -> id
    std::vector<std::pair<std::string, std::string>> merges; // in rank order
    bool byteLevel = true;                                   // the vocabulary is spelled in GPT-2's byte alphabet
    bool ignoreMerges = false;
    bool byteFallback = false;
    std::optional<std::string> unkToken;
    bool fuseUnk = false;
    std::string continuingSubwordPrefix; // empty: none
    std::string endOfWordSuffix;         // empty: none
};

class BpeModel : public TokenizerModel
{
public:
    static constexpr std::size_t kCacheCapacity = 10'000;
    static constexpr std::size_t kMaxCachedPiece = 256;

    // `source` names the file in errors (lwb::Error at "<source>: model.merges[i]").
    BpeModel(const BpeModelConfig &config, const std::string &source);

    // Appends the ids of one piece (non-empty, valid UTF-8 unless byte-level) to `ids`.
    void encodePiece(const std::string &piece, std::vector<std::int64_t> &ids) const override;

    // The token as tokenizer.json spells it (nullptr when the id has none).
    const std::string *spelledOf(std::int64_t id) const override;
    std::optional<std::int64_t> idOfSpelled(const std::string &spelled) const override;
    std::int64_t maxId() const override { return static_cast<std::int64_t>(idToSpelled_.size()) - 1; }
    std::size_t mergeCount() const { return merges_.size(); }
    bool byteLevel() const { return byteLevel_; }

private:
    struct Merge
    {
        std::uint32_t rank;
        std::int64_t id;
    };
    // Lookup by std::string_view without building a std::string (this
    // libstdc++ has no heterogeneous unordered lookup): keys view `texts_`.
    using TextMap = std::unordered_map<std::string_view, std::int64_t>;

    static std::uint64_t pairKey(std::int64_t left, std::int64_t right)
    {
        return (static_cast<std::uint64_t>(left) << 32) | static_cast<std::uint64_t>(right);
    }

    void initialSymbols(std::string_view piece, std::vector<std::int64_t> &symbols) const;
    void mergeLoop(std::string_view piece, std::vector<std::int64_t> &out) const;

    bool byteLevel_ = true;
    std::deque<std::string> texts_; // owns the keys below (a deque never moves them)
    TextMap spelled_;               // vocabulary as written
    TextMap pieceToId_;             // what a piece holds -> id: raw bytes (byte-level) or as written
    std::vector<std::string> idToSpelled_;
    std::vector<bool> hasId_;
    std::unordered_map<std::uint64_t, Merge> merges_;
    std::int64_t byteIds_[256];     // byte-level: the token of each single byte
    std::int64_t fallbackIds_[256]; // byte_fallback: the <0xNN> token of each byte
    std::optional<std::int64_t> unkId_;
    bool ignoreMerges_ = false;
    bool byteFallback_ = false;
    bool fuseUnk_ = false;
    std::string prefix_; // in the piece's spelling
    std::string suffix_;

    mutable std::shared_mutex cacheMutex_;
    mutable std::unordered_map<std::string, std::vector<std::int64_t>> cache_;
};

} // namespace lwb
