// TransformerBlock: one pre-norm decoder block,
//   x = x + attn(norm_1(x));  x = x + mlp(norm_2(x))
// with Hugging Face's child names: GPT-2 ln_1/attn/ln_2/mlp, Llama
// input_layernorm/self_attn/post_attention_layernorm/mlp.
#pragma once

#include "engine/model/attention.h"
#include "engine/model/feed_forward.h"
#include "engine/model/norm.h"

namespace lwb {

class TransformerBlockImpl : public torch::nn::Module
{
public:
    explicit TransformerBlockImpl(const ModelConfig &config);

    // cache: this block's keys and values (incremental decoding), or none.
    torch::Tensor forward(const torch::Tensor &x, const RotaryTables &rotary, LayerKv *cache = nullptr);

private:
    Norm attentionNorm_{nullptr};
    Attention attention_{nullptr};
    Norm mlpNorm_{nullptr};
    FeedForward mlp_{nullptr};
};

TORCH_MODULE(TransformerBlock);

} // namespace lwb
