// See sira_bundle.h.
#include "engine/export/sira_bundle.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/sira_adapter.h"
#include "engine/config/json_reader.h"
#include "engine/core/error.h"
#include "engine/core/json_file.h"
#include "engine/export/peft_export.h"
#include "engine/tensor_io/atomic_file.h"
#include "engine/tensor_io/safetensors_reader.h"
#include "engine/tensor_io/safetensors_writer.h"

#include <cstdio>
#include <map>
#include <sstream>

namespace lwb {

namespace {

std::string expertFolder(std::int64_t expert)
{
    char name[48];
    std::snprintf(name, sizeof name, "experts/expert-%02lld", static_cast<long long>(expert));
    return name;
}

std::string shapeText(at::IntArrayRef shape)
{
    std::ostringstream text;
    text << shape;
    return text.str();
}

} // namespace

void writeSiraBundle(ExportFolder &folder, CausalLMImpl &model, const AdapterConfig &adapter,
                     const std::string &baseModel, torch::ScalarType dtype, bool expertFolders)
{
    struct Module
    {
        std::string path;
        std::shared_ptr<SiraAdapterImpl> sira;
        std::int64_t in, out;
    };
    std::vector<Module> modules;
    for (const auto &entry : adaptedLayers(model)) {
        auto sira = std::dynamic_pointer_cast<SiraAdapterImpl>(entry.layer->adapter());
        if (!sira)
            throw Error(entry.site.path, "carries a non-SiRA adapter; a SiRA bundle holds SiRA adapters only");
        modules.push_back({entry.site.path, sira, entry.site.inFeatures, entry.site.outFeatures});
    }
    if (modules.empty())
        throw Error("export", "the model carries no adapter");

    NamedTensors tensors;
    nlohmann::json moduleList = nlohmann::json::array();
    for (const auto &module : modules) {
        tensors.emplace_back(module.path + ".router", module.sira->router.detach().to(torch::kCPU, dtype).contiguous());
        tensors.emplace_back(module.path + ".lora_A", module.sira->loraA.detach().to(torch::kCPU, dtype).contiguous());
        tensors.emplace_back(module.path + ".lora_B", module.sira->loraB.detach().to(torch::kCPU, dtype).contiguous());
        moduleList.push_back({{"path", module.path}, {"in_features", module.in}, {"out_features", module.out}});
    }
    writeSafetensors(folder.stage(kSiraWeightsFile), tensors, {{"format", kSiraBundleFormat}});
    folder.addFile(kSiraWeightsFile);

    nlohmann::json experts = nlohmann::json::array();
    if (expertFolders) {
        for (std::int64_t e = 0; e < adapter.sira.experts; ++e) {
            PeftAdapterExport peft;
            peft.config.r = adapter.rank;
            peft.config.loraAlpha = adapter.alpha;
            peft.config.loraDropout = adapter.dropout;
            peft.config.useRslora = adapter.rslora;
            peft.config.targetModules = adapter.targets;
            peft.config.baseModel = baseModel;
            peft.config.fanInFanOut = model.config().architecture == Architecture::Gpt2;
            for (const auto &module : modules)
                peft.modules.push_back({module.path, module.sira->loraA[e].detach(), module.sira->loraB[e].detach()});
            writePeftAdapter(folder, expertFolder(e), peft, dtype);
            experts.push_back(expertFolder(e));
        }
    }

    const nlohmann::json manifest = {
        {"format", kSiraBundleFormat},
        {"format_version", kSiraBundleVersion},
        {"base_model", baseModel},
        {"architecture", toString(model.config().architecture)},
        {"weights", kSiraWeightsFile},
        {"dtype", std::string(c10::toString(dtype))},
        {"experts", adapter.sira.experts},
        {"top_k", adapter.sira.topK},
        {"capacity_factor", adapter.sira.capacityFactor},
        {"target_modules", adapter.targets},
        {"r", adapter.rank},
        {"lora_alpha", adapter.alpha},
        {"lora_dropout", adapter.dropout},
        {"use_rslora", adapter.rslora},
        {"scaling", LoraOptions{adapter.rank, adapter.alpha, adapter.dropout, adapter.rslora}.scale()},
        {"sira", toJson(adapter.sira)},
        {"modules", moduleList},
        {"expert_folders", experts},
    };
    writeFileAtomically(folder.stage(kSiraManifestFile), manifest.dump(2) + "\n");
    folder.addFile(kSiraManifestFile);
}

SiraBundleSummary importSiraBundle(const std::string &folder, CausalLMImpl &model)
{
    const auto manifestPath = folder + "/" + kSiraManifestFile;
    nlohmann::json manifest = readJsonFile(manifestPath, "cannot open (not a SiRA bundle folder?)");
    if (!manifest.is_object() || manifest.value("format", nlohmann::json()) != kSiraBundleFormat)
        throw Error(manifestPath + ": format", std::string("must be \"") + kSiraBundleFormat + "\"");
    if (!manifest["format_version"].is_number_integer()
        || manifest["format_version"].get<std::int64_t>() != kSiraBundleVersion)
        throw Error(manifestPath + ": format_version",
                    "must be " + std::to_string(kSiraBundleVersion) + " (a bundle from a newer workbench?)");

    // The adapter settings go through the run config's own reader, so a bundle
    // is held to the same ranges and rules as a config.
    std::vector<ConfigIssue> issues;
    SiraBundleSummary summary;
    summary.adapter.variant = "sira";
    {
        JsonReader in(manifest, "", issues);
        in.readInt("r", summary.adapter.rank, 1, 4096);
        in.readNumber("lora_alpha", summary.adapter.alpha, 0.0, 1e6, true);
        in.readNumber("lora_dropout", summary.adapter.dropout, 0.0, 0.99);
        in.readBool("use_rslora", summary.adapter.rslora);
        in.readStringList("target_modules", summary.adapter.targets);
        parseSiraConfig(in.child("sira"), summary.adapter.sira);
        if (!in.has("sira"))
            in.fail("sira", "missing");
    }
    if (!issues.empty())
        throw ConfigError(manifestPath, std::move(issues));
    if (!manifest["modules"].is_array() || manifest["modules"].empty())
        throw Error(manifestPath + ": modules", "must be a non-empty array");
    const auto weightsPath = folder + "/" + kSiraWeightsFile;
    const SafetensorsReader reader(weightsPath);

    std::map<std::string, AdaptedLinear> layers;
    for (const auto &item : model.named_modules("", /*include_self=*/false)) {
        if (auto linear = std::dynamic_pointer_cast<AdaptedLinearImpl>(item.value()))
            layers.emplace(item.key(), AdaptedLinear(linear));
    }
    const auto &sira = summary.adapter.sira;
    const auto rank = summary.adapter.rank;
    struct Loaded
    {
        AdaptedLinear layer;
        std::string path;
        torch::Tensor router, loraA, loraB;
    };
    std::vector<Loaded> loaded;
    std::size_t index = 0;
    for (const auto &module : manifest["modules"]) {
        const auto where = manifestPath + ": modules[" + std::to_string(index++) + "]";
        if (!module.is_object() || !module.contains("path") || !module["path"].is_string())
            throw Error(where, "must be an object with a \"path\" string");
        const auto path = module["path"].get<std::string>();
        const auto found = layers.find(path);
        if (found == layers.end())
            throw Error(where, "module " + path + " does not exist in this model (another base model?)");
        auto layer = found->second;
        const std::vector<std::vector<std::int64_t>> shapes = {{sira.experts, layer->inFeatures()},
                                                               {sira.experts, rank, layer->inFeatures()},
                                                               {sira.experts, layer->outFeatures(), rank}};
        const char *suffixes[] = {".router", ".lora_A", ".lora_B"};
        std::vector<torch::Tensor> tensors;
        for (int i = 0; i < 3; ++i) {
            const auto key = path + suffixes[i];
            if (!reader.contains(key))
                throw Error(weightsPath, "has no tensor " + key);
            auto tensor = reader.load(key, torch::kFloat32);
            if (tensor.sizes() != at::IntArrayRef(shapes[static_cast<std::size_t>(i)]))
                throw Error(weightsPath, "tensor " + key + " has shape " + shapeText(tensor.sizes())
                                             + ", the manifest and the model's layer need "
                                             + shapeText(shapes[static_cast<std::size_t>(i)]));
            tensors.push_back(tensor);
        }
        loaded.push_back({layer, path, tensors[0], tensors[1], tensors[2]});
    }
    if (reader.names().size() != 3 * loaded.size())
        throw Error(weightsPath, "holds " + std::to_string(reader.names().size()) + " tensors, the manifest's "
                                     + std::to_string(loaded.size()) + " modules account for "
                                     + std::to_string(3 * loaded.size()));

    for (auto &parameter : model.parameters())
        parameter.set_requires_grad(false);
    const auto device = model.parameters().front().device();
    const LoraOptions options{rank, summary.adapter.alpha, summary.adapter.dropout, summary.adapter.rslora};
    for (auto &entry : loaded) {
        auto adapter
            = std::make_shared<SiraAdapterImpl>(entry.layer->inFeatures(), entry.layer->outFeatures(), options, sira);
        {
            torch::NoGradGuard noGrad;
            adapter->router.copy_(entry.router);
            adapter->loraA.copy_(entry.loraA);
            adapter->loraB.copy_(entry.loraB);
        }
        adapter->to(device);
        entry.layer->attach(adapter);
        summary.modules.push_back(entry.path);
    }
    return summary;
}

} // namespace lwb
