// UnigramModel: the "Unigram" model of a tokenizer.json (SentencePiece's
// unigram language model: T5, ALBERT, XLNet, XLM-R, mT5 ...), as the
// tokenizers crate's models/unigram/model.rs encodes (0.23.3 is the
// reference, tests/tokenizer_peer checks it).
//
// The vocabulary is a list of [piece, log-probability]; a piece's id is its
// index. A pre-tokenized piece is cut by Viterbi: the path of vocabulary
// pieces with the highest summed score, where a character that is no piece
// on its own may also be taken alone as the unk token at
// (lowest score - 10). Ties keep the first candidate found in the crate's
// order, which decides the result of strings made to tie:
//   positions are visited from the left; at each, the pieces starting there
//   are tried shortest first, and a candidate replaces the best path to its
//   end only when its score is strictly higher.
// Then adjacent unk characters are fused into one string, and each string
// of the path becomes its id; a fused unknown string becomes, with
// byte_fallback, one <0xNN> token per byte (when all exist), else unk_id.
// Without unk_id an unknown character is an error, as in tokenizers.
//
// Invariants a reader must not break: scores are compared as the crate's
// f64 sums (score + best score so far, in that order of visiting), and a
// piece listed twice keeps the id of its last listing (the crate's map).
#pragma once

#include "engine/tokenizer/tokenizer_model.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lwb {

struct UnigramModelConfig
{
    std::vector<std::pair<std::string, double>> vocab; // piece, log-probability; id = index
    std::optional<std::int64_t> unkId;
    bool byteFallback = false;
};

class UnigramModel : public TokenizerModel
{
public:
    // Unigram's own unk penalty (models/unigram/model.rs K_UNK_PENALTY).
    static constexpr double kUnkPenalty = 10.0;

    // `source` names the file in errors ("<source>: model.unk_id").
    UnigramModel(const UnigramModelConfig &config, const std::string &source);

    void encodePiece(const std::string &piece, std::vector<std::int64_t> &ids) const override;
    const std::string *spelledOf(std::int64_t id) const override;
    std::optional<std::int64_t> idOfSpelled(const std::string &spelled) const override;
    std::int64_t maxId() const override { return static_cast<std::int64_t>(pieces_.size()) - 1; }

    // The Viterbi segmentation of `piece` into strings, unknown characters
    // fused (what the crate's Unigram::encode returns).
    std::vector<std::string> segment(const std::string &piece) const;

private:
    // A byte trie over the pieces: edges keyed by (node << 8 | byte).
    struct TrieNode
    {
        std::int64_t id = -1; // the piece that ends here, or -1
    };
    std::int32_t childOf(std::int32_t node, unsigned char byte) const;

    std::string source_;
    std::vector<std::string> pieces_;
    std::vector<double> scores_;
    std::unordered_map<std::string, std::int64_t> idOf_;
    std::vector<TrieNode> trie_;
    std::unordered_map<std::uint64_t, std::int32_t> edges_;
    std::optional<std::int64_t> unkId_;
    double unkScore_ = 0.0;
    bool byteFallback_ = false;
    std::int64_t fallbackIds_[256];
};

} // namespace lwb
