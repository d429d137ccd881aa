// Norm: the normalisations of the two families, with Hugging Face's
// parameter names:
//   LayerNorm      GPT-2 and GPT-NeoX (weight, bias);
//   RmsNorm        Llama: y = x / sqrt(mean(x^2) + eps), cast back to x's
//                  dtype, times weight (the product in x's dtype, as HF's
//                  LlamaRMSNorm);
//   RmsNormPlusOne Gemma: the same normalisation times (1 + weight), the
//                  product in float32 before the cast (GemmaRMSNorm; the
//                  stored weight starts at 0).
// Reduced-precision inputs normalise in float32 as HF does.
#pragma once

#include "engine/model/model_config.h"

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace lwb {

enum class NormKind { LayerNorm, RmsNorm, RmsNormPlusOne };

// The kind of norm a model's blocks and final norm use.
NormKind normKindOf(const ModelConfig &config);

class NormImpl : public torch::nn::Module
{
public:
    NormImpl(NormKind kind, std::int64_t dim, double eps);

    torch::Tensor forward(const torch::Tensor &x);

    NormKind kind() const { return kind_; }

    torch::Tensor weight;
    torch::Tensor bias; // LayerNorm only

private:
    NormKind kind_;
    std::int64_t dim_;
    double eps_;
};

TORCH_MODULE(Norm);

} // namespace lwb
