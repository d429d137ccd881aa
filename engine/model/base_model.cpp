// See base_model.h.
#include "engine/model/base_model.h"

#include "engine/core/error.h"
#include "engine/core/json_file.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/model/model_location.h"

#include <cstdlib>
#include <filesystem>

namespace lwb {

namespace {

namespace fs = std::filesystem;

// Where built-in models may live, most specific first.
std::vector<fs::path> builtinModelDirs()
{
    std::vector<fs::path> dirs;
    if (const char *env = std::getenv("LWB_MODELS_DIR"); env != nullptr && *env != '\0')
        dirs.emplace_back(env);
    std::error_code error;
    const auto executable = fs::read_symlink("/proc/self/exe", error);
    if (!error)
        dirs.push_back(executable.parent_path().parent_path() / "share" / "lora-workbench" / "models");
    dirs.emplace_back(LWB_SOURCE_MODELS_DIR);
    return dirs;
}

bool isCheckpointFolder(const fs::path &folder)
{
    return fs::is_regular_file(folder / "config.json");
}

} // namespace

std::string resolveModelPath(const std::string &path)
{
    if (path.rfind(kBuiltinModelPrefix, 0) != 0) {
        auto folder = resolveHubCacheFolder(path); // models--ORG--NAME -> snapshots/HASH (not const: returned by move)
        if (!isCheckpointFolder(folder))
            throw Error("model.path", "\"" + folder + "\" is not a Hugging Face checkpoint folder (no config.json)");
        return folder;
    }
    const auto name = path.substr(std::string(kBuiltinModelPrefix).size());
    std::string searched;
    for (const auto &dir : builtinModelDirs()) {
        if (isCheckpointFolder(dir / name))
            return (dir / name).string();
        searched += (searched.empty() ? "" : ", ") + dir.string();
    }
    std::string known;
    for (const auto &found : builtinModelNames())
        known += (known.empty() ? "" : ", ") + std::string(kBuiltinModelPrefix) + found;
    throw Error("model.path", "no built-in model \"" + name + "\" in " + searched
                                  + (known.empty() ? "" : " (built-in models: " + known + ")"));
}

std::vector<std::string> builtinModelNames()
{
    std::vector<std::string> names;
    for (const auto &dir : builtinModelDirs()) {
        std::error_code error;
        for (const auto &entry : fs::directory_iterator(dir, error)) {
            const auto name = entry.path().filename().string();
            if (isCheckpointFolder(entry.path()) && std::find(names.begin(), names.end(), name) == names.end())
                names.push_back(name);
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

ModelConfig checkpointModelConfig(const std::string &folder)
{
    const auto configPath = folder + "/config.json";
    return modelConfigFromHf(readJsonFile(configPath, "cannot open the model config (missing or unreadable)"),
                             configPath);
}

std::vector<std::string> differingShapeKeys(const ModelConfig &a, const ModelConfig &b)
{
    std::vector<std::string> keys;
    const auto check = [&](bool same, const char *key) {
        if (!same)
            keys.emplace_back(key);
    };
    check(a.architecture == b.architecture, "architecture");
    check(a.vocabSize == b.vocabSize, "vocab_size");
    check(a.hiddenSize == b.hiddenSize, "hidden_size");
    check(a.numLayers == b.numLayers, "num_hidden_layers");
    check(a.numHeads == b.numHeads, "num_attention_heads");
    check(a.numKvHeads == b.numKvHeads, "num_key_value_heads");
    check(a.intermediateSize == b.intermediateSize, "intermediate_size");
    check(a.maxPositions == b.maxPositions, "max_position_embeddings");
    check(a.tieWordEmbeddings == b.tieWordEmbeddings, "tie_word_embeddings");
    check(a.attentionBias == b.attentionBias, "attention_bias");
    check(a.ropeTheta == b.ropeTheta, "rope_theta");
    check(a.normEps == b.normEps, "norm_eps");
    return keys;
}

CausalLM buildBaseModel(const ModelConfig &config, torch::ScalarType dtype)
{
    CausalLM model(config);
    if (!config.path.empty())
        loadHfWeights(*model, ShardedCheckpoint(resolveModelPath(config.path)), dtype);
    else if (dtype != torch::kFloat32)
        model->to(dtype); // a preset draws its weights in float32 (the same base in every precision)
    return model;
}

} // namespace lwb
