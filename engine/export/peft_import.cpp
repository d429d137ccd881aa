// See peft_import.h. Both entry points first resolve the whole folder
// against the model (resolvePeftFolder), so a bad folder changes nothing.
#include "engine/export/peft_import.h"

#include "engine/adapters/adapted_linear.h"
#include "engine/adapters/lora_adapter.h"
#include "engine/core/error.h"
#include "engine/tensor_io/safetensors_reader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

namespace lwb {

namespace {

struct ResolvedModule
{
    std::string path;
    AdaptedLinear layer{nullptr};
    torch::Tensor loraA;
    torch::Tensor loraB;
    std::int64_t rank = 0;
    double alpha = 0.0;
};

struct ResolvedFolder
{
    PeftLoraConfig config;
    std::vector<ResolvedModule> modules;
};

std::string shapeText(at::IntArrayRef shape)
{
    std::ostringstream text;
    text << shape;
    return text.str();
}

std::string list(const std::vector<std::string> &names)
{
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < 8; ++i)
        text += (i ? ", " : "") + names[i];
    if (names.size() > 8)
        text += ", ... (" + std::to_string(names.size()) + " in all)";
    return text;
}

ResolvedFolder resolvePeftFolder(const std::string &folder, CausalLMImpl &model)
{
    ResolvedFolder out;
    out.config = readPeftConfig(folder);
    const auto weightsPath = folder + "/" + kPeftWeightsFile;
    if (!std::filesystem::exists(weightsPath)) {
        if (std::filesystem::exists(folder + "/adapter_model.bin"))
            throw Error(folder + "/adapter_model.bin", "pickled PyTorch weights are not read; save the adapter "
                                                       "with safe_serialization=True (adapter_model.safetensors)");
        throw Error(weightsPath, "missing (a PEFT folder holds adapter_config.json and adapter_model.safetensors)");
    }
    const SafetensorsReader reader(weightsPath);

    std::map<std::string, AdaptedLinear> layers;
    for (const auto &item : model.named_modules("", /*include_self=*/false)) {
        if (auto linear = std::dynamic_pointer_cast<AdaptedLinearImpl>(item.value()))
            layers.emplace(item.key(), AdaptedLinear(linear));
    }
    const bool gpt2 = model.config().architecture == Architecture::Gpt2;
    const auto modelPathOf = [&](const std::string &path) -> std::string {
        if (layers.count(path))
            return path;
        if (gpt2 && layers.count("transformer." + path))
            return "transformer." + path;
        return {};
    };

    std::map<std::string, std::pair<std::string, std::string>> keysByModule; // model path -> (A key, B key)
    std::vector<std::string> unexpected, missingInModel;
    for (const auto &key : reader.names()) {
        const auto parsed = parsePeftTensorKey(key);
        if (!parsed) {
            unexpected.push_back(key);
            continue;
        }
        const auto path = modelPathOf(parsed->modulePath);
        if (path.empty()) {
            missingInModel.push_back(parsed->modulePath);
            continue;
        }
        auto &slot = keysByModule[path];
        (parsed->matrix == 'A' ? slot.first : slot.second) = key;
    }
    if (!unexpected.empty())
        throw Error(weightsPath, "holds tensors that are not LoRA A/B weights (DoRA, embeddings or saved "
                                 "modules are not supported): "
                                     + list(unexpected));
    if (!missingInModel.empty()) {
        std::sort(missingInModel.begin(), missingInModel.end());
        missingInModel.erase(std::unique(missingInModel.begin(), missingInModel.end()), missingInModel.end());
        throw Error(weightsPath,
                    "adapts modules the model does not have (another base model?): " + list(missingInModel));
    }
    std::vector<std::string> lacking, notTargeted;
    for (const auto &[path, layer] : layers) {
        const bool prefixed = gpt2 && path.rfind("transformer.", 0) == 0;
        const bool targeted = out.config.targets(path) || (prefixed && out.config.targets(path.substr(12)));
        const bool present = keysByModule.count(path) > 0;
        if (targeted && !present)
            lacking.push_back(path);
        if (present && !targeted)
            notTargeted.push_back(path);
    }
    if (!notTargeted.empty())
        throw Error(weightsPath, "has weights for modules that target_modules does not select: " + list(notTargeted));
    if (!lacking.empty())
        throw Error(weightsPath, "has no weights for modules that target_modules selects in this model "
                                 "(another base model?): "
                                     + list(lacking));
    if (keysByModule.empty())
        throw Error(weightsPath, "holds no LoRA weights");

    for (const auto &[path, keys] : keysByModule) {
        if (keys.first.empty() || keys.second.empty())
            throw Error(weightsPath, "module " + path + " has lora_" + (keys.first.empty() ? "B" : "A")
                                         + " but not lora_" + (keys.first.empty() ? "A" : "B"));
        ResolvedModule module;
        module.path = path;
        module.layer = layers.at(path);
        // Patterns name modules as PEFT sees them, which is our path for every
        // family (GPT2LMHeadModel keeps "transformer.").
        module.rank = out.config.rankOf(path);
        module.alpha = out.config.alphaOf(path);
        module.loraA = reader.load(keys.first, torch::kFloat32);
        module.loraB = reader.load(keys.second, torch::kFloat32);
        const std::vector<std::int64_t> expectA{module.rank, module.layer->inFeatures()};
        const std::vector<std::int64_t> expectB{module.layer->outFeatures(), module.rank};
        if (module.loraA.sizes() != at::IntArrayRef(expectA))
            throw Error(weightsPath, "module " + path + ": lora_A has shape " + shapeText(module.loraA.sizes())
                                         + ", the model's layer needs " + shapeText(expectA) + " (rank "
                                         + std::to_string(module.rank) + ", in_features "
                                         + std::to_string(module.layer->inFeatures()) + ")");
        if (module.loraB.sizes() != at::IntArrayRef(expectB))
            throw Error(weightsPath, "module " + path + ": lora_B has shape " + shapeText(module.loraB.sizes())
                                         + ", the model's layer needs " + shapeText(expectB) + " (out_features "
                                         + std::to_string(module.layer->outFeatures()) + ", rank "
                                         + std::to_string(module.rank) + ")");
        out.modules.push_back(std::move(module));
    }
    return out;
}

} // namespace

PeftImportSummary importPeftAdapter(const std::string &folder, CausalLMImpl &model, double dropout)
{
    auto resolved = resolvePeftFolder(folder, model);
    for (auto &parameter : model.parameters())
        parameter.set_requires_grad(false);
    PeftImportSummary summary{resolved.config, {}};
    const auto device = model.parameters().front().device();
    for (auto &module : resolved.modules) {
        LoraOptions options;
        options.rank = module.rank;
        options.alpha = module.alpha;
        options.dropout = dropout;
        options.rslora = resolved.config.useRslora;
        auto adapter
            = std::make_shared<LoraAdapterImpl>(module.layer->inFeatures(), module.layer->outFeatures(), options);
        {
            torch::NoGradGuard noGrad;
            adapter->loraA.copy_(module.loraA);
            adapter->loraB.copy_(module.loraB);
        }
        adapter->to(device);
        module.layer->attach(adapter);
        summary.modules.push_back(module.path);
    }
    return summary;
}

PeftImportSummary loadPeftWeights(const std::string &folder, CausalLMImpl &model)
{
    auto resolved = resolvePeftFolder(folder, model);
    PeftImportSummary summary{resolved.config, {}};
    std::vector<std::string> withoutWeights;
    for (const auto &item : model.named_modules("", /*include_self=*/false)) {
        auto linear = std::dynamic_pointer_cast<AdaptedLinearImpl>(item.value());
        if (!linear || !linear->adapter())
            continue;
        const bool found = std::any_of(resolved.modules.begin(), resolved.modules.end(),
                                       [&](const ResolvedModule &m) { return m.path == item.key(); });
        if (!found)
            withoutWeights.push_back(item.key());
    }
    if (!withoutWeights.empty())
        throw Error(folder, "the run adapts layers the PEFT folder has no weights for: " + list(withoutWeights));
    for (const auto &module : resolved.modules) {
        const auto lora = std::dynamic_pointer_cast<LoraAdapterImpl>(module.layer->adapter());
        if (!lora)
            throw Error(folder, "module " + module.path
                                    + " has weights in the folder but the run gives it no "
                                      "LoRA adapter (adapter.targets / adapter.variant)");
        const double scaling = resolved.config.scalingOf(module.path);
        if (lora->options().rank != module.rank || std::fabs(lora->scale() - scaling) > 1e-12 * std::fabs(scaling))
            throw Error(folder, "module " + module.path + ": the folder has rank " + std::to_string(module.rank)
                                    + " and scaling " + std::to_string(scaling) + ", the run's adapter rank "
                                    + std::to_string(lora->options().rank) + " and scaling "
                                    + std::to_string(lora->scale()) + " (set adapter.r / alpha / rslora to match)");
    }
    torch::NoGradGuard noGrad;
    for (const auto &module : resolved.modules) {
        const auto lora = std::dynamic_pointer_cast<LoraAdapterImpl>(module.layer->adapter());
        lora->loraA.copy_(module.loraA);
        lora->loraB.copy_(module.loraB);
        summary.modules.push_back(module.path);
    }
    return summary;
}

void checkInitFromFolder(const AdapterConfig &adapter, const std::string &source)
{
    if (adapter.initFrom.empty())
        return;
    const std::string key = "adapter.init_from";
    std::vector<ConfigIssue> issues;
    PeftLoraConfig peft;
    try {
        peft = readPeftConfig(adapter.initFrom);
    } catch (const Error &error) {
        throw ConfigError(source, {{key, error.what()}});
    }
    const auto folder = "the PEFT folder " + adapter.initFrom;
    if (peft.r != adapter.rank)
        issues.push_back({key, folder + " has r " + std::to_string(peft.r) + ", the run adapter.r "
                                   + std::to_string(adapter.rank) + " (set adapter.r to match)"});
    if (std::fabs(peft.loraAlpha - adapter.alpha) > 1e-12 * std::fabs(peft.loraAlpha))
        issues.push_back({key, folder + " has lora_alpha " + std::to_string(peft.loraAlpha) + ", the run adapter.alpha "
                                   + std::to_string(adapter.alpha) + " (set adapter.alpha to match)"});
    if (peft.useRslora != adapter.rslora)
        issues.push_back({key, folder + " has use_rslora " + (peft.useRslora ? "true" : "false")
                                   + ", the run adapter.rslora " + (adapter.rslora ? "true" : "false")});
    if (!peft.rankPattern.empty() || !peft.alphaPattern.empty())
        issues.push_back({key, folder
                                   + " has per-module ranks or alphas (rank_pattern / alpha_pattern), which a "
                                     "run's single adapter.r / adapter.alpha cannot continue"});
    if (!peft.targetRegex.empty()) {
        issues.push_back({key, folder + " selects its targets by the regular expression \"" + peft.targetRegex
                                   + "\"; a run needs a list (adapter.targets)"});
    } else {
        auto theirs = peft.targetModules, ours = adapter.targets;
        std::sort(theirs.begin(), theirs.end());
        std::sort(ours.begin(), ours.end());
        if (theirs != ours) {
            std::string names;
            for (const auto &name : theirs)
                names += (names.empty() ? "" : ", ") + name;
            issues.push_back({key, folder + " targets [" + names + "]; set adapter.targets to the same layers"});
        }
    }
    if (!issues.empty())
        throw ConfigError(source, std::move(issues));
}

} // namespace lwb
