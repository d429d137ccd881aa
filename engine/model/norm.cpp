// See norm.h.
#include "engine/model/norm.h"

namespace lwb {

NormKind normKindOf(const ModelConfig &config)
{
    if (config.architecture == Architecture::Gpt2 || config.gptNeox())
        return NormKind::LayerNorm;
    return config.normPlusOne ? NormKind::RmsNormPlusOne : NormKind::RmsNorm;
}

NormImpl::NormImpl(NormKind kind, std::int64_t dim, double eps)
    : kind_(kind)
    , dim_(dim)
    , eps_(eps)
{
    // (1 + weight) starts at the identity with a zero weight, as HF's Gemma.
    weight = register_parameter("weight", kind == NormKind::RmsNormPlusOne ? torch::zeros({dim}) : torch::ones({dim}));
    if (kind == NormKind::LayerNorm)
        bias = register_parameter("bias", torch::zeros({dim}));
}

torch::Tensor NormImpl::forward(const torch::Tensor &x)
{
    if (kind_ == NormKind::LayerNorm)
        return torch::layer_norm(x, {dim_}, weight, bias, eps_);
    // float32 and float64 stay in their own precision so float64 references
    // stay exact.
    const bool widen = x.scalar_type() != torch::kFloat32 && x.scalar_type() != torch::kFloat64;
    const auto wide = widen ? x.to(torch::kFloat32) : x;
    const auto normalised = wide * torch::rsqrt(wide.pow(2).mean(-1, /*keepdim=*/true) + eps_);
    if (kind_ == NormKind::RmsNormPlusOne)
        return (normalised * (1.0 + weight.to(wide.scalar_type()))).to(x.scalar_type());
    return weight * normalised.to(x.scalar_type());
}

} // namespace lwb
