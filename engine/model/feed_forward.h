// FeedForward: the MLP of both families. GPT-2: c_proj(gelu_tanh(c_fc(x)))
// (HF's "gelu_new"); Llama: down_proj(silu(gate_proj(x)) * up_proj(x)).
#pragma once

#include "engine/adapters/adapted_linear.h"
#include "engine/model/model_config.h"

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace lwb {

class FeedForwardImpl : public torch::nn::Module
{
public:
    explicit FeedForwardImpl(const ModelConfig &config);

    torch::Tensor forward(const torch::Tensor &x);

private:
    Architecture architecture_;
    AdaptedLinear cFc_{nullptr}, cProj_{nullptr};                     // GPT-2
    AdaptedLinear gateProj_{nullptr}, upProj_{nullptr}, downProj_{nullptr}; // Llama
};

TORCH_MODULE(FeedForward);

} // namespace lwb
