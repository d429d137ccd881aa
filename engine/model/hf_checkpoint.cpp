// See hf_checkpoint.h. The name mapping is the identity (CausalLM registers
// its modules under transformers' names) except for GPT-2's optional
// "transformer." prefix and its Conv1D transposes.
#include "engine/model/hf_checkpoint.h"

#include "engine/core/error.h"
#include "engine/core/json_file.h"

#include <set>
#include <sstream>

namespace lwb {

namespace {

bool endsWith(const std::string &text, const std::string &suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// GPT-2's Conv1D modules store weight [in, out].
bool isConv1dWeight(Architecture architecture, const std::string &name)
{
    return architecture == Architecture::Gpt2
           && (endsWith(name, ".c_attn.weight") || endsWith(name, ".c_proj.weight") || endsWith(name, ".c_fc.weight"));
}

bool isAdapterParameter(const std::string &name)
{
    return name.find(".adapter.") != std::string::npos;
}

// Keys transformers itself ignores when loading.
bool isIgnorableKey(const std::string &key, const ModelConfig &config)
{
    if (endsWith(key, ".attn.bias") || endsWith(key, ".attn.masked_bias") || endsWith(key, "rotary_emb.inv_freq"))
        return true;
    // Older GPT-NeoX / Pythia files keep the causal mask buffers.
    if (config.gptNeox() && (endsWith(key, ".attention.bias") || endsWith(key, ".attention.masked_bias")))
        return true;
    return config.tieWordEmbeddings && (key == "lm_head.weight" || (config.gptNeox() && key == "embed_out.weight"));
}

} // namespace

NamedTensors hfStateDict(CausalLMImpl &model, const std::map<std::string, torch::Tensor> &replaced)
{
    const auto architecture = model.config().architecture;
    NamedTensors tensors;
    for (const auto &item : model.named_parameters()) {
        const auto &name = item.key();
        if (isAdapterParameter(name))
            continue;
        const auto replacement = replaced.find(name);
        auto tensor = replacement != replaced.end() ? replacement->second.detach() : item.value().detach();
        if (isConv1dWeight(architecture, name))
            tensor = tensor.t().contiguous();
        tensors.emplace_back(name, tensor);
    }
    return tensors;
}

void loadHfWeights(CausalLMImpl &model, const ShardedCheckpoint &checkpoint, torch::ScalarType dtype)
{
    const auto &config = model.config();
    const auto &where = checkpoint.sourcePath();
    std::set<std::string> used;
    torch::NoGradGuard noGrad;
    for (auto &item : model.named_parameters()) {
        const auto &name = item.key();
        if (isAdapterParameter(name))
            continue;
        std::string key = name;
        if (!checkpoint.contains(key) && config.architecture == Architecture::Gpt2 && key.rfind("transformer.", 0) == 0
            && checkpoint.contains(key.substr(12)))
            key = key.substr(12);
        if (!checkpoint.contains(key))
            throw Error(where, "has no tensor \"" + name + "\" (another architecture or size?)");
        auto tensor = checkpoint.load(key, dtype);
        if (isConv1dWeight(config.architecture, name)) {
            if (tensor.dim() != 2)
                throw Error(where, "tensor \"" + key + "\" must be 2-dimensional (Conv1D weight)");
            tensor = tensor.t();
        }
        auto &parameter = item.value();
        if (tensor.sizes() != parameter.sizes()) {
            std::ostringstream shapes;
            shapes << "tensor \"" << key << "\" has shape " << tensor.sizes() << ", the model expects "
                   << parameter.sizes();
            throw Error(where, shapes.str());
        }
        if (parameter.scalar_type() == dtype)
            parameter.copy_(tensor);
        else
            parameter.set_data(tensor.contiguous()); // the old float32 storage goes now, not after the loop
        used.insert(key);
    }
    std::string unused;
    for (const auto &key : checkpoint.names()) {
        if (!used.count(key) && !isIgnorableKey(key, config) && !isIgnorableKey("transformer." + key, config))
            unused += (unused.empty() ? "" : ", ") + key;
    }
    if (!unused.empty())
        throw Error(where, "holds tensors this model has no place for: " + unused);
}

CausalLM loadHfCausalLM(const std::string &folder, torch::ScalarType dtype)
{
    const auto configPath = folder + "/config.json";
    const auto config = readJsonFile(configPath, "cannot open the model config (missing or unreadable)");
    CausalLM model(modelConfigFromHf(config, configPath));
    loadHfWeights(*model, ShardedCheckpoint(folder), dtype);
    model->eval();
    return model;
}

} // namespace lwb
