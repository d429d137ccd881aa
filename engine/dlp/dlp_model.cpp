// See dlp_model.h.
#include "engine/dlp/dlp_model.h"

#include "engine/adapters/dlp_roles.h"
#include "engine/core/error.h"
#include "engine/core/json_file.h"
#include "engine/core/runtime.h"
#include "engine/model/base_model.h"

#include <torch/serialize.h>

#include <filesystem>

namespace lwb {

namespace {

torch::Tensor inputEmbeddings(torch::nn::Module &model)
{
    for (const auto &item : model.named_parameters()) {
        if (item.key() == "transformer.wte.weight" || item.key() == "model.embed_tokens.weight")
            return item.value().detach();
    }
    throw Error("adapter.dlp.plugin.embedding", "the base model has no input embedding table");
}

} // namespace

DlpModel::DlpModel(const RunConfig &config, TaskLoraLibrary library)
    : config_(config)
    , library_(std::move(library))
    , device_(parseDevice(config.device))
    , format_(SequenceFormat::forModel(config_.model))
{
    model_ = buildBaseModel(config_.model);
    adapters_ = attachFusedLibrary(*model_, library_);
    model_->to(device_);

    const auto options = pluginOptions(config_.adapter.dlp.plugin, config_.model.vocabSize, library_.size());
    torch::manual_seed(config_.seed);
    plugin_
        = makeDlpPlugin(options, options.baseEmbedding ? inputEmbeddings(*model_).to(torch::kCPU) : torch::Tensor());
}

std::string DlpModel::configFile(const std::string &folder)
{
    return folder + "/dlp_study.json";
}

bool DlpModel::isStudyFolder(const std::string &folder)
{
    return std::filesystem::is_regular_file(configFile(folder));
}

std::unique_ptr<DlpModel> DlpModel::loadStudyFolder(const std::string &folder)
{
    const std::string path = configFile(folder);
    RunConfig config = parseRunConfig(readJsonFile(path, "cannot open (not a DLP-LoRA study folder?)"), path);
    config.training.outputDir = folder; // where it is now
    return loadStudy(config);
}

std::string DlpModel::pluginFile(const RunConfig &config)
{
    return config.training.outputDir + "/plugin.pt";
}

std::string DlpModel::taskLoraDir(const RunConfig &config, const std::string &task)
{
    return config.training.outputDir + "/task-" + task;
}

std::unique_ptr<DlpModel> DlpModel::loadStudy(const RunConfig &config)
{
    if (!isDlpStudy(config.adapter))
        throw Error("adapter.variant", "not a DLP-LoRA study (\"" + config.adapter.variant + "\")");
    const std::string plugin = pluginFile(config);
    if (!std::filesystem::exists(plugin))
        throw Error(plugin, "no trained plugin here: the study did not finish, or its folder was moved or deleted");
    TaskLoraLibrary library;
    for (const auto &entry : effectiveLibrary(config.adapter.dlp, config.data.tasks)) {
        const std::string source = entry.source == "train" ? taskLoraDir(config, entry.task) : entry.source;
        library.add(loadLibraryEntry(entry.task, source, config.model));
    }
    auto model = std::make_unique<DlpModel>(config, std::move(library));
    try {
        torch::load(model->plugin_, plugin);
    } catch (const c10::Error &error) {
        throw Error(plugin, std::string("not the plugin of this study's config: ") + error.what_without_backtrace());
    }
    return model;
}

DlpRouter DlpModel::router(const DlpSelectionConfig &selection) const
{
    return DlpRouter(
        pluginProbabilities(plugin_), library_.size(),
        selectionOptions(selection.rule, selection.p, selection.k, selection.weights, selection.topPAtEqual));
}

DlpRouter DlpModel::router() const
{
    return router(config_.adapter.dlp.selection);
}

RoutedGeneration DlpModel::generate(const std::string &prompt, std::int64_t maxNewTokens,
                                    const DlpSelectionConfig &selection, DlpGranularity granularity)
{
    DlpRouter routing = router(selection);
    RoutedGenerationOptions options;
    options.granularity = granularity;
    options.maxNewTokens = maxNewTokens;
    return generateRouted(*model_, adapters_, routing, format_, {prompt}, options, device_).front();
}

RoutedGeneration DlpModel::generate(const std::string &prompt, std::int64_t maxNewTokens)
{
    return generate(prompt, maxNewTokens, config_.adapter.dlp.selection,
                    granularityFromString(config_.adapter.dlp.granularity));
}

} // namespace lwb
