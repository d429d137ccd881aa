// See dlp_bundle.h.
#include "engine/export/dlp_bundle.h"

#include "engine/config/json_reader.h"
#include "engine/core/error.h"
#include "engine/core/json_file.h"
#include "engine/dlp/dlp_model.h"
#include "engine/export/peft_export.h"
#include "engine/tensor_io/atomic_file.h"
#include "engine/tensor_io/safetensors_reader.h"
#include "engine/tensor_io/safetensors_writer.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

namespace lwb {

namespace {

// A task folder named by the manifest stays inside the bundle, so a bundle
// cannot make the import read (or report on) files elsewhere.
bool isInsideBundle(const std::string &relative)
{
    const std::filesystem::path path(relative);
    if (relative.empty() || path.is_absolute())
        return false;
    for (const auto &part : path) {
        if (part == "..")
            return false;
    }
    return true;
}

} // namespace

void writeDlpBundle(ExportFolder &folder, DlpModel &study, const std::string &baseModel, torch::ScalarType dtype)
{
    const RunConfig &config = study.config();
    const auto &library = study.library();
    nlohmann::json tasks = nlohmann::json::array();
    for (const auto &lora : library.entries()) {
        PeftAdapterExport peft;
        peft.config.r = lora.rank;
        peft.config.loraAlpha = lora.alpha;
        peft.config.useRslora = lora.rslora;
        for (const auto &target : config.adapter.targets)
            peft.config.targetModules.push_back(target);
        peft.config.baseModel = baseModel;
        peft.config.fanInFanOut = config.model.architecture == Architecture::Gpt2;
        for (const auto &[path, ab] : lora.layers)
            peft.modules.push_back({path, ab.first, ab.second});
        const std::string relative = "tasks/" + lora.task;
        writePeftAdapter(folder, relative, peft, dtype);
        tasks.push_back({{"task", lora.task},
                         {"folder", relative},
                         {"r", lora.rank},
                         {"lora_alpha", lora.alpha},
                         {"use_rslora", lora.rslora},
                         {"scaling", lora.scale}});
    }

    DlpPlugin &plugin = study.plugin();
    NamedTensors tensors;
    for (const auto &item : plugin->named_parameters())
        tensors.emplace_back(item.key(), item.value().detach().to(torch::kCPU, dtype).contiguous());
    for (const auto &item : plugin->named_buffers())
        tensors.emplace_back(item.key(), item.value().detach().to(torch::kCPU, dtype).contiguous());
    writeSafetensors(folder.stage(kDlpPluginFile), tensors, {{"format", kDlpBundleFormat}});
    folder.addFile(kDlpPluginFile);

    const auto &dlp = config.adapter.dlp;
    // The plugin describes its own kind and shape (engine/dlp/dlp_plugin.h).
    nlohmann::json pluginManifest = {{"weights", kDlpPluginFile}, {"parameters", plugin->parameterCount()}};
    pluginManifest.update(plugin->manifest());
    const nlohmann::json manifest = {
        {"format", kDlpBundleFormat},
        {"format_version", kDlpBundleVersion},
        {"base_model", baseModel},
        {"architecture", toString(config.model.architecture)},
        {"dtype", std::string(c10::toString(dtype))},
        {"target_modules", config.adapter.targets},
        {"tasks", tasks},
        {"selection", toJson(dlp)["selection"]},
        {"granularity", dlp.granularity},
        {"plugin", pluginManifest},
        {"tokenizer", study.format().byteLevelTokens()
                          ? "the workbench's byte tokenizer for built-in models: bytes 0-255, BOS 256, EOS 257, PAD 258"
                          : "the tokenizer.json of the base model folder"},
    };
    writeFileAtomically(folder.stage(kDlpManifestFile), manifest.dump(2) + "\n");
    folder.addFile(kDlpManifestFile);
}

std::unique_ptr<DlpModel> importDlpBundle(const std::string &folder, const RunConfig &base)
{
    const auto manifestPath = folder + "/" + kDlpManifestFile;
    const nlohmann::json manifest = readJsonFile(manifestPath, "cannot open (not a DLP-LoRA bundle folder?)");
    if (!manifest.is_object() || manifest.value("format", nlohmann::json()) != kDlpBundleFormat)
        throw Error(manifestPath + ": format", std::string("must be \"") + kDlpBundleFormat + "\"");
    // value(), not operator[]: on a const json, operator[] of a missing key is undefined behaviour.
    const auto version = manifest.value("format_version", nlohmann::json());
    if (!version.is_number_integer() || version.get<std::int64_t>() != kDlpBundleVersion)
        throw Error(manifestPath + ": format_version",
                    "must be " + std::to_string(kDlpBundleVersion) + " (a bundle from a newer workbench?)");

    // The settings go through the config reader, held to a config's ranges.
    RunConfig config = base;
    config.adapter.variant = kDlpVariant;
    config.training.outputDir = folder;
    DlpConfig &dlp = config.adapter.dlp;
    dlp = DlpConfig();
    std::vector<ConfigIssue> issues;
    {
        JsonReader in(manifest, "", issues);
        in.readStringList("target_modules", config.adapter.targets);
        in.readString("granularity", dlp.granularity, {"input", "sentence"});
        parseDlpSelection(in.child("selection"), dlp.selection);
        auto plugin = in.child("plugin");
        parseDlpPluginShape(plugin, dlp.plugin); // a bundle without "kind" is an mlp (format 1 before kinds)
    }
    if (!issues.empty())
        throw ConfigError(manifestPath, std::move(issues));
    const auto tasks = manifest.value("tasks", nlohmann::json());
    if (!tasks.is_array() || tasks.size() < 2)
        throw Error(manifestPath + ": tasks", "must list at least two task LoRAs");

    TaskLoraLibrary library;
    std::size_t index = 0;
    for (const auto &task : tasks) {
        const auto where = manifestPath + ": tasks[" + std::to_string(index++) + "]";
        if (!task.is_object() || !task.value("task", nlohmann::json()).is_string()
            || !task.value("folder", nlohmann::json()).is_string())
            throw Error(where, "must be an object with \"task\" and \"folder\" strings");
        const auto name = task["task"].get<std::string>();
        const auto relative = task["folder"].get<std::string>();
        if (!isInsideBundle(relative))
            throw Error(where + ".folder",
                        "\"" + relative + "\" must be a folder inside the bundle (relative, no \"..\")");
        const auto source = folder + "/" + relative;
        dlp.library.push_back({name, source});
        library.add(importPeftTaskLora(name, source, config.model));
    }

    auto model = std::make_unique<DlpModel>(config, std::move(library));
    const auto pluginPath = folder + "/" + kDlpPluginFile;
    const SafetensorsReader reader(pluginPath);
    std::set<std::string> unused;
    for (const auto &name : reader.names())
        unused.insert(name);
    torch::NoGradGuard noGrad;
    const auto fill = [&](const std::string &name, torch::Tensor &tensor) {
        if (!reader.contains(name))
            throw Error(pluginPath,
                        "has no tensor \"" + name + "\" (the manifest's plugin shape and the file disagree)");
        const auto stored = reader.load(name);
        if (stored.sizes() != tensor.sizes())
            throw Error(pluginPath + ": " + name,
                        "has shape " + c10::str(stored.sizes()) + ", the plugin needs " + c10::str(tensor.sizes()));
        tensor.copy_(stored);
        unused.erase(name);
    };
    for (auto &item : model->plugin()->named_parameters())
        fill(item.key(), item.value());
    for (auto &item : model->plugin()->named_buffers())
        fill(item.key(), item.value());
    if (!unused.empty())
        throw Error(pluginPath, "holds \"" + *unused.begin() + "\", which this plugin does not have");
    return model;
}

} // namespace lwb
