// What the model commands (score, generate, eval) share: the model they run
// — a checkpoint folder (DIR, builtin:NAME or a hub-cache folder) with an
// optional PEFT adapter put on it first — and how they read their inputs
// (a whole text file; a JSON array of token ids). Registering --model and
// --adapter here keeps their help identical in every command.
#pragma once

#include "engine/data/sequence_format.h"
#include "engine/model/causal_lm.h"

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace lwb::cli {

// --model DIR and --adapter DIR as a command line gave them.
struct ModelChoice
{
    std::string model;
    std::string adapter; // empty: none
};

// The model of a checkpoint folder in eval mode, its adapter on, and how
// text is encoded for it (the tokenizer.json beside it, else the byte
// tokenizer).
struct LoadedModel
{
    CausalLM model{nullptr};
    SequenceFormat format = SequenceFormat::byteLevel();
};

// Adds --model (required) and --adapter to `command`.
void addModelOptions(CLI::App &command, ModelChoice &choice);

LoadedModel loadModel(const ModelChoice &choice);

// The bytes of a file (lwb::Error naming it when it cannot be opened).
std::string readWholeFile(const std::string &path);

// A JSON array of token ids, each in [0, vocabSize): what another library
// produced, given as ids so that no tokenizer stands between the two.
std::vector<std::int64_t> readIdsFile(const std::string &path, std::int64_t vocabSize);

} // namespace lwb::cli
