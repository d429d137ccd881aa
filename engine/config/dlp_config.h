// DlpConfig: the settings of a DLP-LoRA study (arXiv 2410.01497), the JSON
// object "adapter.dlp" (read whenever present, written only when
// adapter.variant is "dlp"). A study trains or loads one LoRA per task (the
// library), trains the plugin classifier on the tasks' prompts, then fuses
// the LoRAs the plugin selects; engine/adapters/README.md ("DLP-LoRA as
// implemented") explains every option. Defaults are in brackets there and
// beside each field here.
//
//   "dlp": {
//     "library": [ {"task": "first", "source": "train"},
//                  {"task": "length", "source": "/runs/length-20261201"} ],
//     "task_steps": 300,
//     "plugin": { "kind": "mlp", "embedding": "own", "embedding_dim": 256, "layers": 3, "width": 0,
//                 "target_params": 5000000, "bigram_buckets": 4096,
//                 "encoder_layers": 2, "heads": 4, "max_positions": 128, "dropout": 0.1,
//                 "epochs": 4, "lr": 0.001, "batch_size": 64, "train_examples": 4096, "eval_examples": 512 },
//     "selection": { "rule": "top_p", "p": 0.6, "k": 2, "weights": "reference", "top_p_at_equal": "keep_next" },
//     "granularity": "input"
//   }
//
// plugin.kind picks the plugin (engine/dlp/dlp_plugin.h): "mlp", the paper's
// mini-MLP (§3.1; keys embedding .. bigram_buckets), or "encoder", the
// released code's transformer encoder read at the first token (keys
// encoder_layers .. dropout), trained from scratch here. width and
// target_params size either.
//
// The library is an array, not an object, because its order is the order of
// the plugin's logits: task i of the library is class i of the plugin.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lwb {

class JsonReader;

// The variant name under which a RunConfig describes a DLP-LoRA study.
inline constexpr const char *kDlpVariant = "dlp";

struct DlpLibraryEntry
{
    std::string task; // a built-in task name
    std::string source
        = "train"; // "train" (the study trains it), a LoRA run's checkpoint / output dir, or a PEFT folder
};

struct DlpPluginConfig
{
    std::string kind = "mlp";              // "mlp" (the paper's §3.1) or "encoder" (the released code's)
    std::string embedding = "own";         // "own" trainable table, or "base": the base model's frozen input embeddings
    std::int64_t embeddingDim = 256;       // own table only; "base" uses the model's hidden size
    std::int64_t layers = 3;               // linear layers of the MLP (2-4), the last one gives the N logits
    std::int64_t width = 0;                // hidden width (encoder: model width); 0 = chosen for target_params
    std::int64_t targetParams = 5'000'000; // used when width is 0 (the paper's ~5M)
    std::int64_t bigramBuckets = 4096;     // mlp: hashed token-pair embeddings beside the tokens'; 0 = tokens only
    std::int64_t encoderLayers = 2;        // encoder: post-LN transformer layers
    std::int64_t heads = 4;                // encoder: attention heads (the width is a multiple of them)
    std::int64_t maxPositions = 128;       // encoder: learned positions; longer prompts keep their first ones
    double dropout = 0.1;                  // encoder: dropout while training (BERT's and RoBERTa's 0.1)
    std::int64_t epochs = 4;
    double lr = 1e-3; // AdamW
    std::int64_t batchSize = 64;
    std::int64_t trainExamples = 4096; // prompts drawn from the run's task stream
    std::int64_t evalExamples = 512;   // held-out prompts (the evaluation stream)
};

struct DlpSelectionConfig
{
    std::string rule = "top_p"; // "top_p" or "top_k"
    double p = 0.6;             // top_p: the cumulative probability to reach (the reference code's 0.6)
    std::int64_t k = 2;         // top_k: LoRAs kept (at most the library size)
    // "reference": what the reference code does for the rule (top_k: softmax
    // of the top-k logits; top_p: softmax of the kept probabilities);
    // "softmax" of the kept probabilities; "renormalize" p / sum of the kept p
    std::string weights = "reference";
    // top_p where the cumulative sum equals P exactly: "keep_next" (the
    // reference code keeps the next item) or "stop" there
    std::string topPAtEqual = "keep_next";
};

struct DlpConfig
{
    std::vector<DlpLibraryEntry> library; // empty = every task of data.tasks, each trained
    std::int64_t taskSteps = 300;         // training steps of each LoRA the study trains
    DlpPluginConfig plugin;
    DlpSelectionConfig selection;
    std::string granularity = "input"; // "input" (route once per prompt) or "sentence" (re-route per sentence)
};

// Reads "adapter.dlp"; the reader records problems with their JSON paths.
// builtinTasks: the run's data is the built-in task suite, so library tasks
// must be its task names (a JSONL dataset names its own tasks).
void parseDlpConfig(JsonReader in, DlpConfig &dlp, bool builtinTasks);
// The plugin's shape keys alone (kind, embedding, embedding_dim, layers,
// width, bigram_buckets, encoder_layers, heads, max_positions, dropout): also
// what a DLP bundle's manifest holds, so both accept the same keys and values.
void parseDlpPluginShape(JsonReader &in, DlpPluginConfig &plugin);
// The "selection" object alone: also what a DLP bundle's manifest holds
// (engine/export/dlp_bundle.cpp), so both accept the same keys and values.
void parseDlpSelection(JsonReader in, DlpSelectionConfig &selection);

// The library the study uses: dlp.library, or one "train" entry per task.
std::vector<DlpLibraryEntry> effectiveLibrary(const DlpConfig &dlp, const std::vector<std::string> &dataTasks);

// Training steps a study takes: dlp.task_steps for each LoRA it trains, then
// dlp.task_steps per library entry for the multi-task LoRA.
std::int64_t studyTrainingSteps(const DlpConfig &dlp, const std::vector<std::string> &dataTasks);

nlohmann::json toJson(const DlpConfig &dlp);

} // namespace lwb
