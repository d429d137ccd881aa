// See task_lora_library.h.
#include "engine/dlp/task_lora_library.h"

#include "engine/adapters/adapted_linear.h"
#include "engine/adapters/dlp_roles.h"
#include "engine/adapters/lora_adapter.h"
#include "engine/core/error.h"
#include "engine/export/peft_import.h"
#include "engine/model/causal_lm.h"
#include "engine/train/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace lwb {

namespace {

const std::string kAdapterA = ".adapter.lora_A";
const std::string kAdapterB = ".adapter.lora_B";

bool endsWith(const std::string &text, const std::string &suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

std::int64_t TaskLora::parameterCount() const
{
    std::int64_t count = 0;
    for (const auto &[path, ab] : layers)
        count += ab.first.numel() + ab.second.numel();
    return count;
}

void TaskLoraLibrary::add(TaskLora lora)
{
    if (lora.layers.empty())
        throw Error("DLP library", "the LoRA of task \"" + lora.task + "\" adapts no layer");
    for (const auto &entry : entries_) {
        if (entry.task == lora.task)
            throw Error("DLP library", "already holds a LoRA for task \"" + lora.task + "\"");
    }
    entries_.push_back(std::move(lora));
}

void TaskLoraLibrary::remove(const std::string &task)
{
    const auto found
        = std::find_if(entries_.begin(), entries_.end(), [&](const TaskLora &e) { return e.task == task; });
    if (found == entries_.end())
        throw Error("DLP library", "holds no LoRA for task \"" + task + "\"");
    entries_.erase(found);
}

std::vector<std::string> TaskLoraLibrary::tasks() const
{
    std::vector<std::string> names;
    for (const auto &entry : entries_)
        names.push_back(entry.task);
    return names;
}

std::int64_t TaskLoraLibrary::maxRank() const
{
    std::int64_t rank = 0;
    for (const auto &entry : entries_)
        for (const auto &[path, ab] : entry.layers)
            rank = std::max(rank, ab.first.size(0));
    return rank;
}

std::vector<std::string> TaskLoraLibrary::layerPaths() const
{
    std::set<std::string> paths;
    for (const auto &entry : entries_)
        for (const auto &[path, ab] : entry.layers)
            paths.insert(path);
    return {paths.begin(), paths.end()};
}

TaskLora taskLoraFromModel(const std::string &task, torch::nn::Module &model, const AdapterConfig &adapter)
{
    TaskLora lora;
    lora.task = task;
    lora.source = "trained in the study";
    lora.rank = adapter.rank;
    lora.alpha = adapter.alpha;
    lora.rslora = adapter.rslora;
    for (const auto &item : model.named_modules("", /*include_self=*/false)) {
        auto linear = std::dynamic_pointer_cast<AdaptedLinearImpl>(item.value());
        if (!linear || !linear->adapter())
            continue;
        auto plain = std::dynamic_pointer_cast<LoraAdapterImpl>(linear->adapter());
        if (!plain)
            throw Error(item.key(), "carries a non-LoRA adapter; a DLP library holds plain LoRAs");
        lora.scale = plain->scale();
        lora.layers[item.key()]
            = {plain->loraA.detach().to(torch::kCPU).clone(), plain->loraB.detach().to(torch::kCPU).clone()};
    }
    return lora;
}

TaskLora loadTaskLora(const std::string &task, const std::string &fileOrDir)
{
    const auto path = resolveCheckpoint(fileOrDir);
    const auto stored = readCheckpointTensors(path);
    RunConfig config;
    try {
        config = parseRunConfig(nlohmann::json::parse(stored.info.configJson), path + " (stored config)");
    } catch (const nlohmann::json::exception &e) {
        throw Error(path, std::string("the stored run config is not valid JSON: ") + e.what());
    }
    if (!joinsDlpLibrary(config.adapter.variant))
        throw Error(path, "is a \"" + config.adapter.variant + "\" run; a DLP library holds plain LoRAs");
    TaskLora lora;
    lora.task = task;
    lora.source = path;
    lora.rank = config.adapter.rank;
    lora.alpha = config.adapter.alpha;
    lora.rslora = config.adapter.rslora;
    LoraOptions options;
    options.rank = lora.rank;
    options.alpha = lora.alpha;
    options.rslora = lora.rslora;
    lora.scale = options.scale();
    std::map<std::string, torch::Tensor> a, b;
    for (const auto &[name, tensor] : stored.tensors) {
        if (endsWith(name, kAdapterA))
            a[name.substr(0, name.size() - kAdapterA.size())] = tensor;
        else if (endsWith(name, kAdapterB))
            b[name.substr(0, name.size() - kAdapterB.size())] = tensor;
        else
            throw Error(path, "holds \"" + name + "\", which is not a LoRA tensor");
    }
    for (const auto &[layer, tensor] : a) {
        const auto found = b.find(layer);
        if (found == b.end())
            throw Error(path, "has lora_A but no lora_B for " + layer);
        lora.layers[layer] = {tensor, found->second};
    }
    if (lora.layers.empty())
        throw Error(path, "holds no LoRA tensors");
    return lora;
}

TaskLora importPeftTaskLora(const std::string &task, const std::string &folder, const ModelConfig &base)
{
    const PeftLoraConfig peft = readPeftConfig(folder);
    if (!peft.rankPattern.empty() || !peft.alphaPattern.empty())
        throw Error(folder + "/adapter_config.json",
                    "has per-module ranks or alphas (rank_pattern / alpha_pattern); a DLP library LoRA has one "
                    "rank and one scale");
    CausalLM model(base);
    importPeftAdapter(folder, *model);
    AdapterConfig adapter;
    adapter.rank = peft.r;
    adapter.alpha = peft.loraAlpha;
    adapter.rslora = peft.useRslora;
    TaskLora lora = taskLoraFromModel(task, *model, adapter);
    lora.source = folder;
    return lora;
}

TaskLora loadLibraryEntry(const std::string &task, const std::string &source, const ModelConfig &base)
{
    if (std::filesystem::exists(std::filesystem::path(source) / "adapter_config.json"))
        return importPeftTaskLora(task, source, base);
    return loadTaskLora(task, source);
}

std::vector<std::shared_ptr<DlpFusedAdapterImpl>> attachFusedLibrary(torch::nn::Module &model,
                                                                     const TaskLoraLibrary &library)
{
    if (library.size() == 0)
        throw Error("DLP library", "is empty");
    for (auto &parameter : model.parameters())
        parameter.set_requires_grad(false);
    const auto paths = library.layerPaths();
    std::set<std::string> remaining(paths.begin(), paths.end());
    std::vector<std::shared_ptr<DlpFusedAdapterImpl>> fused;
    for (const auto &item : model.named_modules("", /*include_self=*/false)) {
        auto linear = std::dynamic_pointer_cast<AdaptedLinearImpl>(item.value());
        if (!linear || !remaining.count(item.key()))
            continue;
        remaining.erase(item.key());
        auto adapter = std::make_shared<DlpFusedAdapterImpl>(linear->inFeatures(), linear->outFeatures(),
                                                             library.size(), library.maxRank());
        const auto &entries = library.entries();
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const auto found = entries[i].layers.find(item.key());
            if (found != entries[i].layers.end())
                adapter->setTaskLora(static_cast<std::int64_t>(i), found->second.first, found->second.second,
                                     entries[i].scale);
        }
        adapter->to(linear->weight.device(), linear->weight.scalar_type());
        for (auto &parameter : adapter->parameters())
            parameter.set_requires_grad(false);
        linear->detach();
        linear->attach(adapter);
        fused.push_back(adapter);
    }
    if (!remaining.empty())
        throw Error("DLP library", "adapts layer " + *remaining.begin() + ", which the model does not have");
    return fused;
}

void setFusionWeights(const std::vector<std::shared_ptr<DlpFusedAdapterImpl>> &adapters, const torch::Tensor &weights)
{
    for (const auto &adapter : adapters)
        adapter->setFusionWeights(weights);
}

} // namespace lwb
