// FeedForward: the MLP of both families.
//   GPT-2   c_proj(gelu_tanh(c_fc(x)))  (HF's "gelu_new");
//   Llama   down_proj(act(gate_proj(x)) * up_proj(x)), act silu, or
//           gelu_pytorch_tanh for Gemma (GeGLU);
//   Phi-3   gate_up_proj holds gate_proj | up_proj in one [2 ff, D] matrix
//           (gate first), as HF's Phi3MLP chunks it;
//   GPT-NeoX dense_4h_to_h(act(dense_h_to_4h(x))), biases on both, act
//           gelu (erf; Pythia) or its tanh approximation.
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
    torch::Tensor activate(const torch::Tensor &x) const;

    Architecture architecture_;
    std::string activation_;                                                // ModelConfig::hiddenActivation
    AdaptedLinear cFc_{nullptr}, cProj_{nullptr};                           // GPT-2
    AdaptedLinear gateProj_{nullptr}, upProj_{nullptr}, downProj_{nullptr}; // Llama
    AdaptedLinear gateUpProj_{nullptr};                                     // Phi-3 (with downProj_)
    AdaptedLinear denseHTo4h_{nullptr}, dense4hToH_{nullptr};               // GPT-NeoX
};

TORCH_MODULE(FeedForward);

} // namespace lwb
