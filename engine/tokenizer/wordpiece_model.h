// WordPieceModel: the "WordPiece" model of a tokenizer.json (BERT, DistilBERT,
// ELECTRA ...), as the tokenizers crate's models/wordpiece/mod.rs encodes
// (0.23.3 is the reference, tests/tokenizer_peer checks it).
//
// Greedy longest-match-first over one pre-tokenized piece: from the left,
// take the longest prefix of the rest that is in the vocabulary (spelled with
// continuing_subword_prefix, "##", when it does not start the piece),
// shortening one character at a time. When some rest has no such prefix,
// the whole piece is the unk_token; so is a piece longer than
// max_input_chars_per_word characters. The unk_token is only looked up when
// needed: a vocabulary without it fails then, as tokenizers does.
#pragma once

#include "engine/tokenizer/tokenizer_model.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lwb {

struct WordPieceModelConfig
{
    std::vector<std::pair<std::string, std::int64_t>> vocab; // token -> id
    std::string unkToken = "[UNK]";
    std::string continuingSubwordPrefix = "##";
    std::size_t maxInputCharsPerWord = 100;
};

class WordPieceModel : public TokenizerModel
{
public:
    // `source` names the file in errors ("<source>: model.vocab.<token>").
    WordPieceModel(const WordPieceModelConfig &config, const std::string &source);

    void encodePiece(const std::string &piece, std::vector<std::int64_t> &ids) const override;
    const std::string *spelledOf(std::int64_t id) const override;
    std::optional<std::int64_t> idOfSpelled(const std::string &spelled) const override;
    std::int64_t maxId() const override { return static_cast<std::int64_t>(idToToken_.size()) - 1; }

private:
    std::int64_t unkId() const;

    std::string source_;
    std::unordered_map<std::string, std::int64_t> vocab_;
    std::vector<std::string> idToToken_;
    std::vector<bool> hasId_;
    std::string unkToken_;
    std::string prefix_;
    std::size_t maxChars_ = 100;
};

} // namespace lwb
