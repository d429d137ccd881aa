// RunConfig: one JSON document that describes a whole run — model, data,
// adapter, training, evaluation, seed, device, threads.
//
// parseRunConfig() checks every key (unknown keys, wrong types, out-of-range
// values, cross-field rules) and throws one ConfigError listing all problems
// with their JSON paths; nothing starts on an invalid config. toJson() writes
// the complete config with every default filled in, which is what a run
// stores, so a stored run can be repeated exactly.
#pragma once

#include "engine/config/config_error.h"
#include "engine/config/dlp_config.h"
#include "engine/config/reslora_config.h"
#include "engine/config/sira_config.h"
#include "engine/model/model_config.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lwb {

struct DataConfig
{
    std::string source = "builtin:tasks"; // the generated task suite, or "jsonl"
    // builtin:tasks: the generated tasks to mix. jsonl: keep only these tasks
    // (empty = every task in the file; the default when the key is absent).
    std::vector<std::string> tasks = {"first", "length", "upper", "reverse"};
    std::int64_t seqLen = 48;        // tokens per training sequence
    std::int64_t evalExamples = 256; // held-out examples for evaluation (at most)
    // jsonl only (engine/data/jsonl_dataset.h); paths relative to the working directory.
    std::string trainFile; // required
    std::string evalFile;  // "" = split off eval_ratio of train_file
    double evalRatio = 0.1;
    bool skipBadLines = false; // else one bad line stops the run
    bool pack = false;         // training rows packed from consecutive examples (TaskData)
};

// adapter.variant "full": no adapter; every base weight trains (pretraining,
// full fine-tuning). Like "dlp" it is no factory of the adapter registry.
inline constexpr const char *kFullVariant = "full";

struct AdapterConfig
{
    std::string variant = "lora";
    std::vector<std::string> targets; // leaf module names; empty = the architecture's default
    std::int64_t rank = 8;
    double alpha = 16.0;
    double dropout = 0.05;
    bool rslora = false;   // scale alpha/sqrt(r) instead of alpha/r
    std::string initFrom;  // a PEFT LoRA folder to start from ("" = fresh adapters); "lora" only
    SiraConfig sira;       // "sira" only
    DlpConfig dlp;         // "dlp" only: a study of task LoRAs + plugin (engine/dlp)
    ResLoraConfig reslora; // "reslora" only
};

struct TrainingConfig
{
    std::int64_t steps = 300;
    std::int64_t batchSize = 16;
    std::int64_t gradAccum = 1;
    double lr = 3e-3;
    double weightDecay = 0.0;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    std::int64_t warmupSteps = 20;
    double minLrRatio = 0.1;          // cosine decays to lr * minLrRatio
    double maxGradNorm = 1.0;         // 0 = no clipping (the norm is still reported)
    std::int64_t checkpointEvery = 0; // 0 = only at the end and on stop
    std::string outputDir;            // checkpoints; "" = chosen by the caller
    std::string resumeFrom;           // a checkpoint file or an output dir ("" = fresh run)
    // "fp32" | "bf16" | "fp16" | "auto" (bf16 on CUDA, fp32 on the CPU): the
    // frozen base's dtype and the forward's autocast dtype; adapter weights,
    // gradients and AdamW state stay float32 (engine/train/precision.h).
    std::string precision = "auto";
    // Recompute each decoder block in backward instead of keeping its
    // activations (engine/model/block_checkpoint.h).
    bool gradientCheckpointing = false;
    // Data-parallel runs (engine/dist): how long a rank waits at the
    // rendezvous or in a collective before it stops with an error naming the
    // ranks that did not answer.
    std::int64_t collectiveTimeoutS = 300;
    // Data-parallel runs: start each gradient bucket's all-reduce during the
    // backward of a step's last micro-batch, as soon as its gradients are
    // final (DDP's overlap), instead of after it. Bitwise the same result
    // (engine/dist/README.md says why and what was measured).
    bool overlapGradSync = true;
};

struct EvalConfig
{
    std::int64_t every = 50;      // steps between evaluations (0 or >= steps: only at the end)
    std::int64_t batchSize = 64;  // sequences per loss batch, prompts per exact-match decoding batch
    std::int64_t maxExamples = 0; // 0 = every held-out example; else the first N, in every limited evaluation
    // The evaluation after the last step: "full" (loss and exact match on
    // every held-out example), "limited" (on the first max_examples), "off".
    std::string final = "full";
    // SiRA with a capacity limit in generation (engine/model/generation.h):
    // "full_sequence" re-runs each sequence per token, exactly what a
    // whole-sequence evaluation computes; "per_pass" decodes with the KV
    // cache, each pass's tokens their own capacity group.
    std::string siraDecodeCapacity = "full_sequence";
};

struct RunConfig
{
    std::string name = "lora-baseline";
    std::uint64_t seed = 42;
    std::string device = "cpu";
    std::int64_t threads = 0; // 0 = one per hardware thread
    ModelConfig model;
    DataConfig data;
    AdapterConfig adapter;
    TrainingConfig training;
    EvalConfig eval;

    nlohmann::json toJson() const;
};

// Parses and validates. source names the file (or "--set", "GUI form") in errors.
RunConfig parseRunConfig(const nlohmann::json &document, const std::string &source);

// Reads a JSON file, applies "key.path=value" overrides, parses and validates.
RunConfig loadRunConfig(const std::string &path, const std::vector<std::string> &overrides = {});

// The leaf names of the linear layers an architecture has, in forward order.
std::vector<std::string> linearLayerNames(Architecture architecture);

} // namespace lwb
