// readModel: tokenizer.json's "model" into a ModelConfig
// (tokenizer_model_config.h), by "model.type": BPE (also when the type is
// absent, as older files write it), Unigram or WordPiece; any other type
// (WordLevel) is refused with the supported list. Field names and defaults
// are those of the tokenizers crate's serde definitions; every refusal names
// the JSON path ("<file>: model.vocab[3][1]").
#pragma once

#include "engine/tokenizer/json_path.h"
#include "engine/tokenizer/tokenizer_model_config.h"

namespace lwb::tokenizer_json {

ModelConfig readModel(const Json &node, const JsonPath &at);

} // namespace lwb::tokenizer_json
