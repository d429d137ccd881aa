// TransformerBlock: one pre-norm decoder block,
//   x = x + attn(norm_1(x));  x = x + mlp(norm_2(x))
// with Hugging Face's child names: GPT-2 ln_1/attn/ln_2/mlp, Llama
// input_layernorm/self_attn/post_attention_layernorm/mlp.
// Gemma 2 normalises each branch's output too ("sandwich" norms):
//   x = x + post_attention_layernorm(attn(input_layernorm(x)))
//   x = x + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x)))
// GPT-NeoX names the attention "attention" and, with use_parallel_residual,
// runs both branches on the block's input:
//   x = x + attention(input_layernorm(x)) + mlp(post_attention_layernorm(x))
#pragma once

#include "engine/model/attention.h"
#include "engine/model/feed_forward.h"
#include "engine/model/norm.h"

namespace lwb {

class TransformerBlockImpl : public torch::nn::Module
{
public:
    // layer: the block's index in the model (sliding-window layers).
    TransformerBlockImpl(const ModelConfig &config, std::int64_t layer);

    // cache: this block's keys and values (incremental decoding), or none.
    torch::Tensor forward(const torch::Tensor &x, const RotaryTables &rotary, LayerKv *cache = nullptr);

private:
    Norm attentionNorm_{nullptr};
    Attention attention_{nullptr};
    Norm mlpNorm_{nullptr};
    FeedForward mlp_{nullptr};
    Norm attentionOutputNorm_{nullptr}, mlpOutputNorm_{nullptr}; // Gemma 2
    bool parallelResidual_ = false;                              // GPT-NeoX
};

TORCH_MODULE(TransformerBlock);

} // namespace lwb
