// See run_config.h. One function per section; each reads its keys with a
// JsonReader, then checks the rules that tie fields together.
#include "engine/config/run_config.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/config/config_overrides.h"
#include "engine/config/json_reader.h"
#include "engine/core/error.h"
#include "engine/core/json_file.h"
#include "engine/data/task_generator.h"
#include "engine/model/base_model.h"
#include "engine/model/targetable_modules.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <regex>

namespace lwb {

namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kMaxSeed = (std::int64_t{1} << 53); // exact in a JSON double

// With model.path the shape comes from the checkpoint's config.json; the
// shape keys may still be written (a stored config has them all) but must
// agree with it, so a config never describes another model than it loads.
void parseModel(JsonReader in, ModelConfig &model, std::vector<ConfigIssue> &issues)
{
    std::string path;
    in.readString("path", path);
    if (!path.empty()) {
        if (in.has("preset"))
            in.fail("preset", "not used with model.path (the checkpoint's config.json gives the shape)");
        const auto folder = resolveModelPath(path); // lwb::Error (model.path) when missing
        model = checkpointModelConfig(folder);
        model.path = path; // its tokenizer.json, if any, encodes the data (engine/data/sequence_format.h)
    } else {
        std::string preset = model.preset;
        in.readString("preset", preset, modelPresetNames());
        model = modelPreset(preset);
    }
    const ModelConfig stored = model;
    std::string architecture = toString(model.architecture);
    in.readString("architecture", architecture, {"gpt2", "llama"});
    model.architecture = architecture == "gpt2" ? Architecture::Gpt2 : Architecture::Llama;
    in.readInt("vocab_size", model.vocabSize, 259, 1 << 20);
    in.readInt("hidden_size", model.hiddenSize, 8, 65536);
    in.readInt("num_hidden_layers", model.numLayers, 1, 512);
    in.readInt("num_attention_heads", model.numHeads, 1, 1024);
    // As in Hugging Face configs, the kv head count defaults to the head count.
    if (in.has("num_attention_heads") || model.architecture == Architecture::Gpt2)
        model.numKvHeads = model.numHeads;
    in.readInt("num_key_value_heads", model.numKvHeads, 1, 1024);
    in.readInt("intermediate_size", model.intermediateSize, 1, 1 << 20);
    in.readInt("max_position_embeddings", model.maxPositions, 8, 1 << 20);
    in.readBool("tie_word_embeddings", model.tieWordEmbeddings);
    in.readBool("attention_bias", model.attentionBias);
    in.readNumber("rope_theta", model.ropeTheta, 1.0, 1e9);
    in.readNumber("norm_eps", model.normEps, 0.0, 1e-1, true);
    std::int64_t initSeed = static_cast<std::int64_t>(model.initSeed);
    in.readInt("init_seed", initSeed, 0, kMaxSeed);
    in.readNumber("initializer_range", model.initializerRange, 0.0, 10.0, true);
    model.initSeed = static_cast<std::uint64_t>(initSeed);
    in.finish();

    const auto at = [&](const char *key, std::string reason) {
        issues.push_back({std::string("model.") + key, reason});
    };
    if (!model.path.empty())
        for (const auto &key : differingShapeKeys(model, stored))
            at(key.c_str(), "differs from the checkpoint's config.json (model.path " + model.path + ")");
    if (model.numHeads > 0 && model.hiddenSize % model.numHeads != 0)
        at("hidden_size", "must be divisible by num_attention_heads (" + std::to_string(model.numHeads) + ")");
    if (model.numKvHeads > 0 && model.numHeads % model.numKvHeads != 0)
        at("num_key_value_heads", "must divide num_attention_heads (" + std::to_string(model.numHeads) + ")");
    if (model.architecture == Architecture::Gpt2 && model.numKvHeads != model.numHeads)
        at("num_key_value_heads", "GPT-2 has no grouped-query attention: must equal num_attention_heads");
    if (model.architecture == Architecture::Llama && model.numHeads > 0 && (model.hiddenSize / model.numHeads) % 2 != 0)
        at("hidden_size", "rotary embeddings need an even head dimension (hidden_size / num_attention_heads)");
}

// The files of a jsonl source must exist; their lines are checked when the run loads them.
void checkJsonlData(JsonReader &in, const DataConfig &data)
{
    if (data.trainFile.empty())
        in.fail("train_file", "required when data.source is \"jsonl\" (a JSONL file of examples)");
    else if (!std::filesystem::is_regular_file(data.trainFile))
        in.fail("train_file", "\"" + data.trainFile + "\" is not a file");
    if (!data.evalFile.empty() && !std::filesystem::is_regular_file(data.evalFile))
        in.fail("eval_file", "\"" + data.evalFile + "\" is not a file");
    if (data.evalFile.empty() && data.evalRatio <= 0.0)
        in.fail("eval_ratio", "must be above 0 when there is no data.eval_file (evaluation needs examples)");
}

void parseData(JsonReader in, DataConfig &data, const ModelConfig &model, std::vector<ConfigIssue> &issues)
{
    in.readString("source", data.source, {"builtin:tasks", "jsonl"});
    const bool jsonl = data.source == "jsonl";
    if (jsonl && !in.has("tasks"))
        data.tasks.clear(); // every task of the file
    in.readStringList("tasks", data.tasks, /*allowEmpty=*/jsonl);
    in.readInt("seq_len", data.seqLen, 8, 1 << 20);
    in.readInt("eval_examples", data.evalExamples, 1, 1 << 20);
    in.readString("train_file", data.trainFile);
    in.readString("eval_file", data.evalFile);
    in.readNumber("eval_ratio", data.evalRatio, 0.0, 0.9);
    in.readBool("skip_bad_lines", data.skipBadLines);
    in.readBool("pack", data.pack);
    in.finish();
    if (jsonl) {
        checkJsonlData(in, data);
    } else {
        for (const char *key : {"train_file", "eval_file", "eval_ratio", "skip_bad_lines"})
            if (in.has(key))
                in.fail(key, "only used when data.source is \"jsonl\"");
    }
    const auto known = builtinTaskNames();
    for (std::size_t i = 0; i < data.tasks.size() && !jsonl; ++i) {
        if (std::find(known.begin(), known.end(), data.tasks[i]) == known.end()) {
            std::string names;
            for (const auto &name : known)
                names += (names.empty() ? "" : ", ") + name;
            issues.push_back({"data.tasks[" + std::to_string(i) + "]",
                              "unknown task \"" + data.tasks[i] + "\" (built-in tasks: " + names + ")"});
        }
    }
    if (data.seqLen >= model.maxPositions)
        issues.push_back({"data.seq_len",
                          "must be below model.max_position_embeddings (" + std::to_string(model.maxPositions) + ")"});
}

void parseAdapter(JsonReader in, AdapterConfig &adapter, const ModelConfig &model, const DataConfig &data,
                  std::vector<ConfigIssue> &issues)
{
    // "dlp" is a study over several LoRAs (engine/dlp), not a per-layer factory of the registry.
    auto variants = adapterVariantNames();
    variants.push_back(kDlpVariant);
    variants.push_back(kFullVariant);
    in.readString("variant", adapter.variant, variants);
    in.readStringList("targets", adapter.targets);
    in.readInt("r", adapter.rank, 1, 4096);
    in.readNumber("alpha", adapter.alpha, 0.0, 1e6, true);
    in.readNumber("dropout", adapter.dropout, 0.0, 0.99);
    in.readBool("rslora", adapter.rslora);
    // The folder itself is checked against r, alpha and targets when the run
    // starts (checkInitFromFolder): a stored config stays parseable after the
    // folder is gone.
    in.readString("init_from", adapter.initFrom);
    if (!adapter.initFrom.empty() && adapter.variant != "lora")
        in.fail("init_from",
                "only the \"lora\" variant starts from a PEFT folder (variant is \"" + adapter.variant + "\")");
    parseSiraConfig(in.child("sira"), adapter.sira);
    const bool builtinTasks = data.source != "jsonl";
    parseDlpConfig(in.child("dlp"), adapter.dlp, builtinTasks);
    if (adapter.variant == kDlpVariant && !builtinTasks && effectiveLibrary(adapter.dlp, data.tasks).empty())
        in.fail("dlp", "a study on a JSONL dataset names its tasks: list them in data.tasks or adapter.dlp.library");
    // ResLoRA's section belongs to its variant: elsewhere it would be ignored,
    // and an ignored hyperparameter is how wrong numbers get published.
    if (in.has("reslora") && adapter.variant != "reslora") {
        in.skip("reslora");
        in.fail("reslora", "is read only when adapter.variant is \"reslora\" (it is \"" + adapter.variant + "\")");
    } else {
        parseResLoraConfig(in.child("reslora"), adapter.reslora);
    }
    in.finish();
    const auto linears = targetableModules(model);
    if (adapter.targets.empty())
        adapter.targets = linears;
    for (std::size_t i = 0; i < adapter.targets.size(); ++i) {
        if (std::find(linears.begin(), linears.end(), adapter.targets[i]) == linears.end()) {
            std::string names;
            for (const auto &name : linears)
                names += (names.empty() ? "" : ", ") + name;
            issues.push_back({"adapter.targets[" + std::to_string(i) + "]",
                              "\"" + adapter.targets[i] + "\" is not a linear layer of " + model.hfModelType()
                                  + " (its linear layers: " + names + ")"});
        }
    }
}

void parseTraining(JsonReader in, TrainingConfig &training, std::vector<ConfigIssue> &issues)
{
    in.readInt("steps", training.steps, 1, kMaxInt);
    in.readInt("batch_size", training.batchSize, 1, 65536);
    in.readInt("grad_accum", training.gradAccum, 1, 4096);
    in.readNumber("lr", training.lr, 0.0, 10.0, true);
    in.readNumber("weight_decay", training.weightDecay, 0.0, 10.0);
    in.readNumber("beta1", training.beta1, 0.0, 0.999999);
    in.readNumber("beta2", training.beta2, 0.0, 0.999999);
    in.readNumber("eps", training.eps, 0.0, 1.0, true);
    in.readInt("warmup_steps", training.warmupSteps, 0, kMaxInt);
    in.readNumber("min_lr_ratio", training.minLrRatio, 0.0, 1.0);
    in.readNumber("max_grad_norm", training.maxGradNorm, 0.0, 1e6);
    in.readInt("checkpoint_every", training.checkpointEvery, 0, kMaxInt);
    in.readString("output_dir", training.outputDir);
    in.readString("resume_from", training.resumeFrom);
    in.readString("precision", training.precision, {"auto", "fp32", "bf16", "fp16"});
    in.readBool("gradient_checkpointing", training.gradientCheckpointing);
    in.readInt("collective_timeout_s", training.collectiveTimeoutS, 1, 7 * 24 * 3600);
    in.readBool("overlap_grad_sync", training.overlapGradSync);
    in.finish();
    // An explicit warmup longer than the run is a mistake; the default one
    // is only shortened to fit a short run.
    if (!in.has("warmup_steps"))
        training.warmupSteps = std::min(training.warmupSteps, training.steps);
    else if (training.warmupSteps > training.steps)
        issues.push_back(
            {"training.warmup_steps", "must not exceed training.steps (" + std::to_string(training.steps) + ")"});
}

void parseEval(JsonReader in, EvalConfig &eval)
{
    in.readInt("every", eval.every, 0, kMaxInt);
    in.readInt("batch_size", eval.batchSize, 1, 65536);
    in.readInt("max_examples", eval.maxExamples, 0, 1 << 20);
    in.readString("final", eval.final, {"full", "limited", "off"});
    in.readString("sira_decode_capacity", eval.siraDecodeCapacity, {"full_sequence", "per_pass"});
    in.finish();
}

} // namespace

std::vector<std::string> linearLayerNames(Architecture architecture)
{
    ModelConfig model;
    model.architecture = architecture;
    return targetableModules(model);
}

RunConfig parseRunConfig(const nlohmann::json &document, const std::string &source)
{
    std::vector<ConfigIssue> issues;
    RunConfig config;
    JsonReader root(document, "", issues);
    root.readString("name", config.name);
    if (config.name.empty())
        root.fail("name", "must not be empty");
    std::int64_t seed = static_cast<std::int64_t>(config.seed);
    root.readInt("seed", seed, 0, kMaxSeed);
    config.seed = static_cast<std::uint64_t>(seed);
    root.readString("device", config.device);
    static const std::regex kDevicePattern("cpu|cuda|cuda:[0-9]+");
    if (!std::regex_match(config.device, kDevicePattern))
        root.fail("device", "\"" + config.device + "\" is not \"cpu\", \"cuda\" or \"cuda:N\"");
    root.readInt("threads", config.threads, 0, 1024);

    try {
        parseModel(root.child("model"), config.model, issues);
    } catch (const Error &error) { // an unknown preset or checkpoint: the rest of the section cannot be read
        issues.push_back({error.where(), error.reason()});
    }
    parseData(root.child("data"), config.data, config.model, issues);
    parseAdapter(root.child("adapter"), config.adapter, config.model, config.data, issues);
    parseTraining(root.child("training"), config.training, issues);
    parseEval(root.child("eval"), config.eval);
    root.finish();

    if (!issues.empty())
        throw ConfigError(source, std::move(issues));
    return config;
}

RunConfig loadRunConfig(const std::string &path, const std::vector<std::string> &overrides)
{
    nlohmann::json document = readJsonFile(path, "cannot open the run config (missing or unreadable)");
    applyOverrides(document, overrides);
    return parseRunConfig(document, path);
}

nlohmann::json RunConfig::toJson() const
{
    nlohmann::json doc;
    doc["name"] = name;
    doc["seed"] = seed;
    doc["device"] = device;
    doc["threads"] = threads;
    doc["model"] = {
        {"architecture", toString(model.architecture)},
        {"vocab_size", model.vocabSize},
        {"hidden_size", model.hiddenSize},
        {"num_hidden_layers", model.numLayers},
        {"num_attention_heads", model.numHeads},
        {"num_key_value_heads", model.numKvHeads},
        {"intermediate_size", model.intermediateSize},
        {"max_position_embeddings", model.maxPositions},
        {"tie_word_embeddings", model.tieWordEmbeddings},
        {"attention_bias", model.attentionBias},
        {"rope_theta", model.ropeTheta},
        {"norm_eps", model.normEps},
        {"init_seed", model.initSeed},
        {"initializer_range", model.initializerRange},
    };
    if (model.path.empty())
        doc["model"]["preset"] = model.preset;
    else
        doc["model"]["path"] = model.path;
    doc["data"] = {
        {"source", data.source}, {"tasks", data.tasks}, {"seq_len", data.seqLen}, {"eval_examples", data.evalExamples},
        {"pack", data.pack},
    };
    if (data.source == "jsonl") {
        doc["data"]["train_file"] = data.trainFile;
        doc["data"]["eval_file"] = data.evalFile;
        doc["data"]["eval_ratio"] = data.evalRatio;
        doc["data"]["skip_bad_lines"] = data.skipBadLines;
    }
    doc["adapter"] = {
        {"variant", adapter.variant}, {"targets", adapter.targets}, {"r", adapter.rank},
        {"alpha", adapter.alpha},     {"dropout", adapter.dropout}, {"rslora", adapter.rslora},
    };
    if (!adapter.initFrom.empty())
        doc["adapter"]["init_from"] = adapter.initFrom;
    if (adapter.variant == "sira")
        doc["adapter"]["sira"] = lwb::toJson(adapter.sira);
    if (adapter.variant == kDlpVariant)
        doc["adapter"]["dlp"] = lwb::toJson(adapter.dlp);
    if (adapter.variant == "reslora")
        doc["adapter"]["reslora"] = lwb::toJson(adapter.reslora);
    doc["training"] = {
        {"steps", training.steps},
        {"batch_size", training.batchSize},
        {"grad_accum", training.gradAccum},
        {"lr", training.lr},
        {"weight_decay", training.weightDecay},
        {"beta1", training.beta1},
        {"beta2", training.beta2},
        {"eps", training.eps},
        {"warmup_steps", training.warmupSteps},
        {"min_lr_ratio", training.minLrRatio},
        {"max_grad_norm", training.maxGradNorm},
        {"checkpoint_every", training.checkpointEvery},
        {"output_dir", training.outputDir},
        {"resume_from", training.resumeFrom},
        {"precision", training.precision},
        {"gradient_checkpointing", training.gradientCheckpointing},
        {"collective_timeout_s", training.collectiveTimeoutS},
        {"overlap_grad_sync", training.overlapGradSync},
    };
    doc["eval"] = {{"every", eval.every},
                   {"batch_size", eval.batchSize},
                   {"max_examples", eval.maxExamples},
                   {"final", eval.final},
                   {"sira_decode_capacity", eval.siraDecodeCapacity}};
    return doc;
}

} // namespace lwb
