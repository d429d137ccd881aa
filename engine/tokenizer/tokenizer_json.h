// readTokenizerJson: reads a Hugging Face tokenizer.json (and the
// tokenizer_config.json beside it, when there is one) into plain settings for
// BpeTokenizer, refusing anything it cannot honour.
//
// Accepted: model BPE (vocab; merges as "a b" strings or ["a", "b"] pairs;
// ignore_merges, unk_token, fuse_unk, byte_fallback, continuing_subword_prefix,
// end_of_word_suffix; dropout null or 0), Unigram (vocab of [piece, score],
// unk_id, byte_fallback) and WordPiece (vocab, unk_token,
// continuing_subword_prefix, max_input_chars_per_word); a ByteLevel
// pre-tokenizer only with BPE (its alphabet is undone in the BPE vocabulary
// at load, bpe_model.h). Then the normalizer, pre_tokenizer,
// decoder and post_processor components tokenizer_json_components.h lists,
// added_tokens. Every refusal is an lwb::Error whose `where` is
// "<file>: <json path>" ("pre_tokenizer.pretokenizers[1].type") and whose
// reason says what was found (and, for an unknown type, what is supported).
//
// Special tokens: resolved as transformers does by special_tokens.h (from
// tokenizer_config.json, special_tokens_map.json, config.json,
// generation_config.json and the tokenizer class's defaults). From
// tokenizer_config.json: add_bos_token, and chat_template (a string, or a list of {"name",
// "template"} of which "default" is taken; else a chat_template.jinja file
// beside tokenizer.json, as newer checkpoints ship it). The template is only
// read here; engine/data/chat_format.h runs it.
#pragma once

#include "engine/tokenizer/added_vocabulary.h"
#include "engine/tokenizer/decoder.h"
#include "engine/tokenizer/normalizer.h"
#include "engine/tokenizer/post_processor.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/special_tokens.h"
#include "engine/tokenizer/tokenizer_model_config.h"
#include "engine/tokenizer/unicode_normalizer.h"

#include <optional>
#include <string>
#include <vector>

namespace lwb {

struct TokenizerJson
{
    std::string path;
    std::vector<NormalizerStep> normalizer;
    std::vector<PreTokenizerStep> preTokenizer;
    std::vector<DecoderStep> decoder;
    std::vector<PostProcessorStep> postProcessor;
    ModelConfig model; // BPE, Unigram or WordPiece, by model.type
    std::vector<AddedToken> addedTokens;
    // bos/eos/pad/unk, stop ids and where each came from (special_tokens.h);
    // bosToken/eosToken/padToken repeat its contents.
    SpecialTokenSettings specialTokens;
    std::optional<std::string> bosToken;
    std::optional<std::string> eosToken;
    std::optional<std::string> padToken;
    // Sequences start with bosToken: tokenizer_config.json add_bos_token, or
    // when absent a post_processor template that begins with it.
    std::optional<bool> addBosToken;
    std::optional<std::string> chatTemplate;
    std::string chatTemplateOrigin; // for errors: "<config>: chat_template" or the .jinja file
};

TokenizerJson readTokenizerJson(const std::string &path);

} // namespace lwb
