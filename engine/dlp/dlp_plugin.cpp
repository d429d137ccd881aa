// See dlp_plugin.h.
#include "engine/dlp/dlp_plugin.h"

#include "engine/config/dlp_config.h"
#include "engine/core/error.h"
#include "engine/dlp/plugin_classifier.h"
#include "engine/dlp/plugin_encoder.h"

#include <functional>
#include <utility>

namespace lwb {

namespace {

using PluginMaker = std::function<DlpPlugin(const PluginOptions &, const torch::Tensor &)>;

// One row per kind: adding a kind is one row here and one name in the config reader.
const std::vector<std::pair<std::string, PluginMaker>> &pluginMakers()
{
    static const std::vector<std::pair<std::string, PluginMaker>> makers = {
        {"mlp", [](const PluginOptions &options,
                   const torch::Tensor &base) { return std::make_shared<PluginClassifierImpl>(options, base); }},
        {"encoder", [](const PluginOptions &options,
                       const torch::Tensor &base) { return std::make_shared<PluginEncoderImpl>(options, base); }},
    };
    return makers;
}

} // namespace

std::int64_t DlpPluginImpl::parameterCount() const
{
    std::int64_t count = 0;
    for (const auto &parameter : parameters()) {
        if (parameter.requires_grad())
            count += parameter.numel();
    }
    return count;
}

const std::vector<std::string> &pluginKinds()
{
    static const std::vector<std::string> kinds = [] {
        std::vector<std::string> names;
        for (const auto &[name, maker] : pluginMakers())
            names.push_back(name);
        return names;
    }();
    return kinds;
}

DlpPlugin makeDlpPlugin(const PluginOptions &options, const torch::Tensor &baseEmbedding)
{
    for (const auto &[name, maker] : pluginMakers()) {
        if (name == options.kind)
            return maker(options, baseEmbedding);
    }
    std::string known;
    for (const auto &name : pluginKinds())
        known += (known.empty() ? "\"" : ", \"") + name + "\"";
    throw Error("adapter.dlp.plugin.kind", "unknown plugin kind \"" + options.kind + "\" (known: " + known + ")");
}

PluginOptions pluginOptions(const DlpPluginConfig &config, std::int64_t vocabSize, std::int64_t tasks)
{
    PluginOptions options;
    options.kind = config.kind;
    options.vocabSize = vocabSize;
    options.tasks = tasks;
    options.width = config.width;
    options.targetParams = config.targetParams;
    options.baseEmbedding = config.embedding == "base";
    options.embeddingDim = config.embeddingDim;
    options.layers = config.layers;
    options.bigramBuckets = config.bigramBuckets;
    options.encoderLayers = config.encoderLayers;
    options.heads = config.heads;
    options.maxPositions = config.maxPositions;
    options.dropout = config.dropout;
    return options;
}

} // namespace lwb
