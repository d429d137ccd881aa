// Norm: the normalisation of the two families, with Hugging Face's parameter
// names: GPT-2's LayerNorm (weight, bias) and Llama's RMSNorm (weight only,
// y = x / sqrt(mean(x^2) + eps) * weight, computed in float32 as HF does).
#pragma once

#include "engine/model/model_config.h"

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace lwb {

class NormImpl : public torch::nn::Module
{
public:
    NormImpl(Architecture architecture, std::int64_t dim, double eps);

    torch::Tensor forward(const torch::Tensor &x);

    torch::Tensor weight;
    torch::Tensor bias; // LayerNorm only

private:
    Architecture architecture_;
    std::int64_t dim_;
    double eps_;
};

TORCH_MODULE(Norm);

} // namespace lwb
