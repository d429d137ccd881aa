// DlpPlugin: the interface of DLP-LoRA's plugin, the small classifier that
// reads a prompt and gives one logit per task LoRA of the library, and the
// factory that builds the kind a config names (adapter.dlp.plugin.kind):
//
//   "mlp"      the paper's plugin (arXiv 2410.01497, §3.1: a mini-MLP of
//              about 5M parameters) over mean-pooled token embeddings;
//              PluginClassifier, engine/dlp/plugin_classifier.h
//   "encoder"  the released code's plugin (MeCuping/DLP-LoRA,
//              srcClassifier/ClassifierModel.py): a transformer encoder read
//              at the first token, then LayerNorm and Linear; trained from
//              scratch here; PluginEncoder, engine/dlp/plugin_encoder.h
//
// Both are sized to about target_params trainable parameters when width is
// 0; parameterCount() says what was built. The study, the router, the bundle
// export and the plugin's training see only this interface, so they never
// name a kind.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lwb {

struct DlpPluginConfig;

struct PluginOptions
{
    std::string kind = "mlp"; // "mlp" or "encoder" (pluginKinds())
    std::int64_t vocabSize = 259;
    std::int64_t tasks = 2;
    std::int64_t width = 0; // mlp: hidden width; encoder: model width d; 0 = chosen for targetParams
    std::int64_t targetParams = 5'000'000;
    // mlp only
    bool baseEmbedding = false;      // true: read the base model's input embeddings (frozen)
    std::int64_t embeddingDim = 256; // own table only
    std::int64_t layers = 3;         // 2-4 linear layers
    std::int64_t bigramBuckets = 0;  // 0 = unigrams only (a plain token mean)
    // encoder only
    std::int64_t encoderLayers = 2;  // transformer encoder layers
    std::int64_t heads = 4;          // attention heads (width is a multiple of it)
    std::int64_t maxPositions = 128; // learned positions; longer inputs keep their first maxPositions tokens
    double dropout = 0.1;            // after embeddings, attention output and feed-forward (training only)
};

class DlpPluginImpl : public torch::nn::Module
{
public:
    // ids [B, T] int64 (right-padded), mask [B, T] bool (true = real token) -> logits [B, N].
    virtual torch::Tensor forward(const torch::Tensor &ids, const torch::Tensor &mask) = 0;

    const PluginOptions &options() const { return options_; }
    std::int64_t tasks() const { return options_.tasks; }
    // The hidden width that was built (options().width, or the one chosen for targetParams).
    std::int64_t width() const { return width_; }
    std::int64_t parameterCount() const; // trainable

    // The plugin's shape for a DLP bundle's manifest: "kind" and the keys
    // that rebuild it (those of adapter.dlp.plugin), plus "input", a sentence
    // saying how it reads the ids.
    virtual nlohmann::json manifest() const = 0;

protected:
    explicit DlpPluginImpl(PluginOptions options)
        : options_(std::move(options))
    {
    }
    PluginOptions options_;
    std::int64_t width_ = 0;
};

using DlpPlugin = std::shared_ptr<DlpPluginImpl>;

// The kinds makeDlpPlugin builds, in the order a GUI offers them.
const std::vector<std::string> &pluginKinds();

// baseEmbedding: the base model's [V, D] input embeddings, when options.baseEmbedding.
// Throws lwb::Error (naming the adapter.dlp.plugin key) for an unknown kind or a bad shape.
DlpPlugin makeDlpPlugin(const PluginOptions &options, const torch::Tensor &baseEmbedding = {});

// The options of a config's plugin section for a library of `tasks` over a vocabulary of `vocabSize`.
PluginOptions pluginOptions(const DlpPluginConfig &config, std::int64_t vocabSize, std::int64_t tasks);

} // namespace lwb
