// ModelConfig: what tokenizer_json.cpp reads from tokenizer.json's "model",
// one configuration per "model.type" (BPE, Unigram, WordPiece), and
// makeTokenizerModel, which builds the matching TokenizerModel. Each model's
// constructor refuses inconsistent settings with an lwb::Error at
// "<source>: model.<key>".
#pragma once

#include "engine/tokenizer/bpe_model.h"
#include "engine/tokenizer/tokenizer_model.h"
#include "engine/tokenizer/unigram_model.h"
#include "engine/tokenizer/wordpiece_model.h"

#include <memory>
#include <string>
#include <variant>

namespace lwb {

using ModelConfig = std::variant<BpeModelConfig, UnigramModelConfig, WordPieceModelConfig>;

// `source` names the file in errors.
std::unique_ptr<const TokenizerModel> makeTokenizerModel(const ModelConfig &config, const std::string &source);

} // namespace lwb
