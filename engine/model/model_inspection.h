// inspectModel: what a researcher needs to know about a base model before
// training on it, read from its folder without building the model: the
// architecture, the parameter count and stored dtype (from the safetensors
// headers), the tokenizer's kind and size, the special tokens with the file
// each came from (engine/tokenizer/special_tokens.h), whether a chat template
// is there, and the module names a LoRA can target (targetable_modules.h,
// the names the model registers its linear layers under).
//
// `lorawb inspect` prints it (app/model_inspect_command.h) and the GUI's
// base-model picker shows it (ui/base_model_picker.h); both take what
// resolveModelPath accepts: a folder, a hub-cache models--ORG--NAME folder or
// one of its snapshots, builtin:NAME.
#pragma once

#include "engine/tokenizer/special_tokens.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lwb {

struct ModelInspection
{
    std::string requested;                      // as the user named it
    std::string folder;                         // the checkpoint folder it resolved to
    std::string modelType;                      // config.json model_type ("llama", "qwen3")
    std::string family;                         // the engine's decoder family ("gpt2" / "llama")
    std::int64_t parameters = 0;                // stored parameters (buffers such as GPT-2's attn.bias left out)
    std::map<std::string, std::int64_t> dtypes; // stored dtype ("bfloat16") -> parameters in it
    std::int64_t modelVocabSize = 0;            // config.json vocab_size
    std::int64_t maxPositions = 0;

    std::string tokenizerKind; // "byte-level BPE", "SentencePiece-style BPE (byte_fallback)", "byte (built-in)"
    std::string tokenizerFile; // "" for the byte tokenizer
    std::int64_t tokenizerVocabSize = 0;
    bool prependsBos = false;
    // The byte tokenizer's fixed ids are reported as resolved tokens too.
    ResolvedSpecialTokens specialTokens;

    bool hasChatTemplate = false;
    std::string chatTemplateOrigin;
    std::vector<std::string> targetModules;

    // The dtype that holds most parameters, with the others named: "bfloat16",
    // "float16 (+ float32: 1,024 parameters)".
    std::string dtypeSummary() const;
};

// lwb::Error (file and problem) for a folder that is not a loadable model.
ModelInspection inspectModel(const std::string &modelPath);

// The JSON `lorawb inspect --json` prints (keys documented in app/README.md).
nlohmann::json inspectionToJson(const ModelInspection &inspection);

} // namespace lwb
