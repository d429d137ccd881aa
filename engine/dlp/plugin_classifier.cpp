// See plugin_classifier.h.
#include "engine/dlp/plugin_classifier.h"

#include "engine/core/error.h"

#include <torch/nn/modules/linear.h>

#include <cmath>

namespace lwb {

namespace {

// Width h whose trainable count is closest to the target: the count is
// a h^2 + b h + c (a = layers - 2), so solve, then check the neighbours.
std::int64_t widthForTarget(const PluginOptions &options, std::int64_t embeddingDim)
{
    const auto count = [&](std::int64_t h) { return pluginParameterCount(options, embeddingDim, h); };
    const double c = static_cast<double>(count(0));
    const double b = static_cast<double>(count(1)) - c - static_cast<double>(options.layers - 2);
    const double a = static_cast<double>(options.layers - 2);
    const double rest = static_cast<double>(options.targetParams) - c;
    double h = 8.0;
    if (rest > 0.0)
        h = a > 0.0 ? (-b + std::sqrt(b * b + 4.0 * a * rest)) / (2.0 * a) : rest / b;
    auto best = std::max<std::int64_t>(8, static_cast<std::int64_t>(std::llround(h)));
    for (auto candidate : {best - 1, best + 1}) {
        if (candidate >= 8
            && std::llabs(count(candidate) - options.targetParams) < std::llabs(count(best) - options.targetParams))
            best = candidate;
    }
    return best;
}

} // namespace

std::int64_t pluginParameterCount(const PluginOptions &options, std::int64_t embeddingDim, std::int64_t width)
{
    const std::int64_t table
        = (options.baseEmbedding ? 0 : options.vocabSize * embeddingDim) + options.bigramBuckets * embeddingDim;
    const std::int64_t first = embeddingDim * width + width;
    const std::int64_t hidden = (options.layers - 2) * (width * width + width);
    const std::int64_t last = width * options.tasks + options.tasks;
    return table + first + hidden + last;
}

PluginClassifierImpl::PluginClassifierImpl(const PluginOptions &options, const torch::Tensor &baseEmbedding)
    : DlpPluginImpl(options)
{
    if (options.tasks < 2)
        throw Error("adapter.dlp.library", "the plugin needs at least two tasks to tell apart");
    if (options.layers < 2 || options.layers > 4)
        throw Error("adapter.dlp.plugin.layers", "must be 2, 3 or 4, got " + std::to_string(options.layers));
    std::int64_t dim = options.embeddingDim;
    if (options.baseEmbedding) {
        if (!baseEmbedding.defined() || baseEmbedding.dim() != 2 || baseEmbedding.size(0) != options.vocabSize)
            throw Error("adapter.dlp.plugin.embedding",
                        "\"base\" needs the base model's [vocab_size, hidden_size] input embeddings");
        dim = baseEmbedding.size(1);
        baseEmbedding_ = register_buffer("base_embedding", baseEmbedding.detach().clone());
    } else {
        embedding_ = register_module("embedding", torch::nn::Embedding(options.vocabSize, dim));
    }
    if (options.bigramBuckets < 0)
        throw Error("adapter.dlp.plugin.bigram_buckets", "must be 0 (off) or more");
    if (options.bigramBuckets > 0)
        bigrams_ = register_module("bigrams", torch::nn::Embedding(options.bigramBuckets, dim));
    width_ = options.width > 0 ? options.width : widthForTarget(options_, dim);
    mlp_ = register_module("mlp", torch::nn::ModuleList());
    std::int64_t in = dim;
    for (std::int64_t i = 0; i + 1 < options.layers; ++i) {
        mlp_->push_back(torch::nn::Linear(in, width_));
        in = width_;
    }
    mlp_->push_back(torch::nn::Linear(in, options.tasks));
}

torch::Tensor PluginClassifierImpl::forward(const torch::Tensor &ids, const torch::Tensor &mask)
{
    const auto embedded
        = embedding_ ? embedding_->forward(ids)
                     : baseEmbedding_.index_select(0, ids.reshape({-1})).reshape({ids.size(0), ids.size(1), -1});
    const auto weights = mask.to(embedded.scalar_type()).unsqueeze(-1); // [B, T, 1]
    const auto count = weights.sum(1).clamp_min(1.0);                   // [B, 1]
    auto x = (embedded * weights).sum(1) / count;                       // [B, d]
    if (bigrams_ && ids.size(1) > 1) {
        const auto pairs = (ids.narrow(1, 0, ids.size(1) - 1) * options_.vocabSize + ids.narrow(1, 1, ids.size(1) - 1))
                               .remainder(options_.bigramBuckets); // [B, T-1]
        const auto pairWeights = (mask.narrow(1, 0, mask.size(1) - 1) & mask.narrow(1, 1, mask.size(1) - 1))
                                     .to(x.scalar_type())
                                     .unsqueeze(-1);
        x = x + (bigrams_->forward(pairs) * pairWeights).sum(1) / pairWeights.sum(1).clamp_min(1.0);
    }
    for (std::size_t i = 0; i < mlp_->size(); ++i) {
        x = mlp_[i]->as<torch::nn::LinearImpl>()->forward(x);
        if (i + 1 < mlp_->size())
            x = torch::relu(x);
    }
    return x;
}

nlohmann::json PluginClassifierImpl::manifest() const
{
    return {
        {"kind", "mlp"},
        {"embedding", options_.baseEmbedding ? "base" : "own"},
        {"embedding_dim", options_.baseEmbedding ? baseEmbedding_.size(1) : options_.embeddingDim},
        {"layers", options_.layers},
        {"width", width_},
        {"vocab_size", options_.vocabSize},
        {"classes", options_.tasks},
        {"bigram_buckets", options_.bigramBuckets},
        {"input", "the prompt's token ids (BOS first when the base's tokenizer prepends one): mean of their "
                  "embeddings over real tokens, plus (bigram_buckets > 0) the mean of bigrams[(id[t-1] * "
                  "vocab_size + id[t]) mod bigram_buckets] over real pairs; the MLP (ReLU between layers) gives "
                  "one logit per task"},
    };
}

} // namespace lwb
