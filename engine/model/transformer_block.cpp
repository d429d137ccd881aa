// See transformer_block.h.
#include "engine/model/transformer_block.h"

namespace lwb {

TransformerBlockImpl::TransformerBlockImpl(const ModelConfig &config, std::int64_t layer)
    : parallelResidual_(config.parallelResidual)
{
    const bool gpt2 = config.architecture == Architecture::Gpt2;
    const auto kind = normKindOf(config);
    const auto norm = [&] { return Norm(kind, config.hiddenSize, config.normEps); };
    attentionNorm_ = register_module(gpt2 ? "ln_1" : "input_layernorm", norm());
    attention_ = register_module(gpt2               ? "attn"
                                 : config.gptNeox() ? "attention"
                                                    : "self_attn",
                                 Attention(config, layer));
    if (config.sandwichNorms) {
        attentionOutputNorm_ = register_module("post_attention_layernorm", norm());
        mlpNorm_ = register_module("pre_feedforward_layernorm", norm());
        mlpOutputNorm_ = register_module("post_feedforward_layernorm", norm());
    } else {
        mlpNorm_ = register_module(gpt2 ? "ln_2" : "post_attention_layernorm", norm());
    }
    mlp_ = register_module("mlp", FeedForward(config));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor &x, const RotaryTables &rotary, LayerKv *cache)
{
    auto attended = attention_->forward(attentionNorm_->forward(x), rotary, cache);
    if (parallelResidual_)
        return mlp_->forward(mlpNorm_->forward(x)) + attended + x; // HF's order of the sums
    if (attentionOutputNorm_)
        attended = attentionOutputNorm_->forward(attended);
    const auto h = x + attended;
    auto fed = mlp_->forward(mlpNorm_->forward(h));
    if (mlpOutputNorm_)
        fed = mlpOutputNorm_->forward(fed);
    return h + fed;
}

} // namespace lwb
