// Special tokens of a checkpoint folder, resolved as transformers 5.25 resolves
// them (AutoTokenizer for bos/eos/pad/unk, GenerationConfig for the stop ids),
// each with the file it came from so that `lorawb inspect` and the GUI can say.
//
// The named tokens (bos_token, eos_token, pad_token, unk_token), latest wins:
//   1. the defaults of the tokenizer class: tokenizer_config.json's
//      `tokenizer_class`, else config.json's `tokenizer_class`, else the class
//      transformers registers for config.json's `model_type` (GPT-2's published
//      folder names no token at all and relies on GPT2Tokenizer's
//      "<|endoftext|>"). The generic classes (PreTrainedTokenizerFast,
//      TokenizersBackend) have none; a LlamaTokenizer over a ByteLevel
//      tokenizer.json is loaded as the generic class, and a model_type whose
//      registered class differs decides as AutoTokenizer does
//      (tokenizerClassFor in the .cpp);
//   2. tokenizer_config.json's keys; a key given as null removes the default;
//   3. special_tokens_map.json, read only when tokenizer_config.json has no
//      `added_tokens_decoder` (transformers reads it only then).
// A value is a string or an AddedToken object ({"content": ...}).
//
// Stop ids (generation ends on any of them, as transformers' generate does):
// generation_config.json's `eos_token_id` (an int or a list) when that file
// exists, else config.json's, else the default of the model_type's config
// class (LlamaConfig: 2), else the eos token's id.
//
// The end token (what training appends after every answer): the eos token's
// id, else the first stop id. Commands that append none (score, tokenize,
// generate, the loss of {"text"} lines) never ask for it; those that do get
// missingEndTokenMessage(), which names the file to add "eos_token" to.
//
// add_bos_token / add_eos_token are reported as read. Which sequences start
// with BOS is decided by tokenizer_json.h (add_bos_token, else the
// post-processor); note that transformers 5.25 drops add_bos_token whenever a
// tokenizer.json exists and follows the post-processor alone.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lwb {

// A named special token as the files spell it, and where that came from
// ("DIR/tokenizer_config.json: eos_token", "GPT2Tokenizer's default ...").
struct SpecialTokenChoice
{
    std::string content;
    std::string origin;
};

// What a folder's files say, before any vocabulary lookup.
struct SpecialTokenSettings
{
    std::string folder;
    std::string tokenizerClass; // "GPT2Tokenizer"; "TokenizersBackend": the generic class, no defaults
    std::string tokenizerClassOrigin;
    std::optional<SpecialTokenChoice> bos;
    std::optional<SpecialTokenChoice> eos;
    std::optional<SpecialTokenChoice> pad;
    std::optional<SpecialTokenChoice> unk;
    std::optional<bool> addBosToken; // tokenizer_config.json, as written
    std::optional<bool> addEosToken;
    std::vector<std::int64_t> stopIds; // from generation_config.json / config.json / model_type default
    std::string stopIdsOrigin;
};

// Reads tokenizer_config.json, special_tokens_map.json, config.json and
// generation_config.json of `folder` (each optional). `tokenizerJson` is the
// folder's parsed tokenizer.json (null when there is none): whether it is
// ByteLevel decides the LlamaTokenizer case above. lwb::Error names the
// file and JSON path of a malformed value.
SpecialTokenSettings readSpecialTokenSettings(const std::string &folder, const nlohmann::json &tokenizerJson);

// One named token with its id in a vocabulary (none when the vocabulary has
// no such token: `problem` says so).
struct ResolvedSpecialToken
{
    std::string content;
    std::string origin;
    std::optional<std::int64_t> id;
    std::string problem;
};

struct ResolvedSpecialTokens
{
    std::string folder;
    std::string tokenizerClass;
    std::string tokenizerClassOrigin;
    std::optional<ResolvedSpecialToken> bos;
    std::optional<ResolvedSpecialToken> eos;
    std::optional<ResolvedSpecialToken> pad;
    std::optional<ResolvedSpecialToken> unk;
    std::optional<bool> addBosToken;
    std::optional<bool> addEosToken;
    std::vector<std::int64_t> stopIds; // never empty when an end token exists
    std::string stopIdsOrigin;
    std::optional<std::int64_t> endTokenId;
    std::string endTokenOrigin;

    // Why there is no end token, naming the file to fix; "" when there is one.
    std::string missingEndTokenMessage() const;
};

// Looks each token up with `idOf` (the vocabulary plus added tokens).
ResolvedSpecialTokens
resolveSpecialTokenIds(const SpecialTokenSettings &settings,
                       const std::function<std::optional<std::int64_t>(const std::string &)> &idOf);

} // namespace lwb
