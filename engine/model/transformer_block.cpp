// See transformer_block.h.
#include "engine/model/transformer_block.h"

namespace lwb {

TransformerBlockImpl::TransformerBlockImpl(const ModelConfig &config)
{
    const bool gpt2 = config.architecture == Architecture::Gpt2;
    const auto d = config.hiddenSize;
    attentionNorm_ = register_module(gpt2 ? "ln_1" : "input_layernorm", Norm(config.architecture, d, config.normEps));
    attention_ = register_module(gpt2 ? "attn" : "self_attn", Attention(config));
    mlpNorm_ = register_module(gpt2 ? "ln_2" : "post_attention_layernorm", Norm(config.architecture, d, config.normEps));
    mlp_ = register_module("mlp", FeedForward(config));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor &x, const RotaryTables &rotary, LayerKv *cache)
{
    auto h = x + attention_->forward(attentionNorm_->forward(x), rotary, cache);
    return h + mlp_->forward(mlpNorm_->forward(h));
}

} // namespace lwb
