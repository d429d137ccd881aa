// Readers of the pipeline components of a tokenizer.json (normalizer,
// pre_tokenizer, decoder, post_processor) into the step lists that
// normalizer.h, pre_tokenizer.h, decoder.h and post_processor.h run. A
// "Sequence" is flattened into its steps; null gives no steps. Every refusal
// names the JSON path; an unknown type lists the supported ones.
#pragma once

#include "engine/tokenizer/decoder.h"
#include "engine/tokenizer/json_path.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/post_processor.h"
#include "engine/tokenizer/pre_tokenizer.h"

#include <vector>

namespace lwb::tokenizer_json {

void readNormalizer(const Json &node, const JsonPath &at, std::vector<NormalizerStep> &out);
void readPreTokenizer(const Json &node, const JsonPath &at, std::vector<PreTokenizerStep> &out);
void readDecoder(const Json &node, const JsonPath &at, std::vector<DecoderStep> &out);
void readPostProcessor(const Json &node, const JsonPath &at, std::vector<PostProcessorStep> &out);

} // namespace lwb::tokenizer_json
