// See plugin_encoder.h.
#include "engine/dlp/plugin_encoder.h"

#include "engine/core/error.h"

#include <torch/nn/functional/linear.h>

#include <cmath>
#include <limits>

namespace lwb {

namespace {

// Multi-head self-attention with PyTorch's parameter names (in_proj_weight
// stacks W_q, W_k, W_v as rows).
class SelfAttentionImpl : public torch::nn::Module
{
public:
    SelfAttentionImpl(std::int64_t width, std::int64_t heads, double dropout)
        : heads_(heads)
        , dropout_(dropout)
    {
        inProjWeight_ = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
        inProjBias_ = register_parameter("in_proj_bias", torch::zeros({3 * width}));
        outProj_ = register_module("out_proj", torch::nn::Linear(width, width));
    }

    // x [B, T, d], keep [B, T] bool (keys that may be attended) -> [B, T, d].
    torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &keep)
    {
        const auto batch = x.size(0), length = x.size(1), width = x.size(2), headDim = width / heads_;
        const auto split = [&](const torch::Tensor &t) {
            return t.reshape({batch, length, heads_, headDim}).transpose(1, 2); // [B, h, T, dh]
        };
        const auto qkv = torch::nn::functional::linear(x, inProjWeight_, inProjBias_).chunk(3, -1);
        auto scores = torch::matmul(split(qkv[0]), split(qkv[1]).transpose(-2, -1)) / std::sqrt(double(headDim));
        scores = scores.masked_fill(keep.logical_not().view({batch, 1, 1, length}),
                                    -std::numeric_limits<double>::infinity());
        const auto probabilities = torch::dropout(torch::softmax(scores, -1), dropout_, is_training());
        const auto mixed = torch::matmul(probabilities, split(qkv[2])).transpose(1, 2).reshape({batch, length, width});
        return outProj_->forward(mixed);
    }

private:
    std::int64_t heads_;
    double dropout_;
    torch::Tensor inProjWeight_, inProjBias_;
    torch::nn::Linear outProj_{nullptr};
};
TORCH_MODULE(SelfAttention);

// One post-LN encoder layer, named as nn.TransformerEncoderLayer.
class EncoderLayerImpl : public torch::nn::Module
{
public:
    EncoderLayerImpl(std::int64_t width, std::int64_t heads, double dropout)
        : dropout_(dropout)
    {
        selfAttention_ = register_module("self_attn", SelfAttention(width, heads, dropout));
        linear1_ = register_module("linear1", torch::nn::Linear(width, 4 * width));
        linear2_ = register_module("linear2", torch::nn::Linear(4 * width, width));
        norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-5)));
        norm2_ = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-5)));
    }

    torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &keep)
    {
        auto y = norm1_->forward(x + torch::dropout(selfAttention_->forward(x, keep), dropout_, is_training()));
        const auto feedForward
            = linear2_->forward(torch::dropout(torch::gelu(linear1_->forward(y)), dropout_, is_training()));
        return norm2_->forward(y + torch::dropout(feedForward, dropout_, is_training()));
    }

private:
    double dropout_;
    SelfAttention selfAttention_{nullptr};
    torch::nn::Linear linear1_{nullptr}, linear2_{nullptr};
    torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
};
TORCH_MODULE(EncoderLayer);

// The width d (a multiple of heads, at least one head of 8) whose count is closest to the target.
std::int64_t widthForTarget(const PluginOptions &options)
{
    std::int64_t best = options.heads * ((8 + options.heads - 1) / options.heads);
    for (std::int64_t d = best; d <= 65536; d += options.heads) {
        if (std::llabs(encoderParameterCount(options, d) - options.targetParams)
            < std::llabs(encoderParameterCount(options, best) - options.targetParams))
            best = d;
        if (encoderParameterCount(options, d) > options.targetParams)
            break;
    }
    return best;
}

} // namespace

std::int64_t encoderParameterCount(const PluginOptions &options, std::int64_t width)
{
    const std::int64_t d = width;
    const std::int64_t embeddings = (options.vocabSize + options.maxPositions) * d + 2 * d;
    // in_proj 3d^2 + 3d, out_proj d^2 + d, linear1 4d^2 + 4d, linear2 4d^2 + d, two LayerNorms 4d
    const std::int64_t layer = 12 * d * d + 13 * d;
    const std::int64_t head = 2 * d + d * options.tasks + options.tasks;
    return embeddings + options.encoderLayers * layer + head;
}

PluginEncoderImpl::PluginEncoderImpl(const PluginOptions &options, const torch::Tensor &baseEmbedding)
    : DlpPluginImpl(options)
{
    if (options.tasks < 2)
        throw Error("adapter.dlp.library", "the plugin needs at least two tasks to tell apart");
    if (options.baseEmbedding || baseEmbedding.defined())
        throw Error("adapter.dlp.plugin.embedding",
                    "the encoder plugin has its own token embeddings: \"base\" is for the mlp plugin");
    if (options.encoderLayers < 1)
        throw Error("adapter.dlp.plugin.encoder_layers", "must be 1 or more");
    if (options.heads < 1)
        throw Error("adapter.dlp.plugin.heads", "must be 1 or more");
    if (options.maxPositions < 1)
        throw Error("adapter.dlp.plugin.max_positions", "must be 1 or more");
    if (options.dropout < 0.0 || options.dropout >= 1.0)
        throw Error("adapter.dlp.plugin.dropout", "must be in [0, 1)");
    width_ = options.width > 0 ? options.width : widthForTarget(options);
    if (width_ % options.heads != 0)
        throw Error("adapter.dlp.plugin.width", "the encoder's width (" + std::to_string(width_)
                                                    + ") must be a multiple of heads (" + std::to_string(options.heads)
                                                    + ")");
    const auto d = width_;
    const auto layerNorm = [d] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-5)); };
    tokenEmbedding_ = register_module("token_embedding", torch::nn::Embedding(options.vocabSize, d));
    positionEmbedding_ = register_module("position_embedding", torch::nn::Embedding(options.maxPositions, d));
    embeddingNorm_ = register_module("embedding_norm", layerNorm());
    layers_ = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < options.encoderLayers; ++i)
        layers_->push_back(EncoderLayer(d, options.heads, options.dropout));
    norm_ = register_module("norm", layerNorm());
    classifier_ = register_module("classifier", torch::nn::Linear(d, options.tasks));

    torch::NoGradGuard noGrad;
    for (auto &item : named_parameters()) {
        const auto &name = item.key();
        auto &value = item.value();
        const bool isNorm = name.find("norm") != std::string::npos;
        if (isNorm)
            value.fill_(name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0 ? 1.0 : 0.0);
        else if (value.dim() >= 2)
            value.normal_(0.0, 0.02);
        else
            value.zero_();
    }
}

torch::Tensor PluginEncoderImpl::forward(const torch::Tensor &ids, const torch::Tensor &mask)
{
    const auto length = std::min(ids.size(1), options_.maxPositions);
    const auto tokens = ids.narrow(1, 0, length);
    // The first token is always attended: it is the one read, and a row of
    // only padding would otherwise softmax over nothing.
    auto keep = mask.narrow(1, 0, length).to(torch::kBool).clone();
    keep.select(1, 0).fill_(true);
    const auto positions = torch::arange(length, torch::TensorOptions().dtype(torch::kInt64).device(ids.device()));
    auto x = embeddingNorm_->forward(tokenEmbedding_->forward(tokens) + positionEmbedding_->forward(positions));
    x = torch::dropout(x, options_.dropout, is_training());
    for (const auto &layer : *layers_)
        x = layer->as<EncoderLayerImpl>()->forward(x, keep);
    return classifier_->forward(norm_->forward(x.select(1, 0)));
}

nlohmann::json PluginEncoderImpl::manifest() const
{
    return {
        {"kind", "encoder"},
        {"width", width_},
        {"encoder_layers", options_.encoderLayers},
        {"heads", options_.heads},
        {"max_positions", options_.maxPositions},
        {"dropout", options_.dropout},
        {"vocab_size", options_.vocabSize},
        {"classes", options_.tasks},
        {"input", "the prompt's token ids (BOS first when the base's tokenizer prepends one), the first "
                  "max_positions of them: token + position embeddings, LayerNorm, post-LN transformer encoder "
                  "layers (exact GELU, feed-forward 4 x width, padding keys masked), then LayerNorm and Linear "
                  "of the first token's state give one logit per task"},
    };
}

} // namespace lwb
