// See norm.h.
#include "engine/model/norm.h"

namespace lwb {

NormImpl::NormImpl(Architecture architecture, std::int64_t dim, double eps)
    : architecture_(architecture)
    , dim_(dim)
    , eps_(eps)
{
    weight = register_parameter("weight", torch::ones({dim}));
    if (architecture == Architecture::Gpt2)
        bias = register_parameter("bias", torch::zeros({dim}));
}

torch::Tensor NormImpl::forward(const torch::Tensor &x)
{
    if (architecture_ == Architecture::Gpt2)
        return torch::layer_norm(x, {dim_}, weight, bias, eps_);
    // Reduced-precision inputs normalise in float32 (as HF does); float32 and
    // float64 stay in their own precision so float64 references stay exact.
    const bool widen = x.scalar_type() != torch::kFloat32 && x.scalar_type() != torch::kFloat64;
    const auto wide = widen ? x.to(torch::kFloat32) : x;
    const auto normalised = (wide * torch::rsqrt(wide.pow(2).mean(-1, /*keepdim=*/true) + eps_)).to(x.scalar_type());
    return weight * normalised;
}

} // namespace lwb
