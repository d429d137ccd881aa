// See lora_adapter.h.
#include "engine/adapters/lora_adapter.h"

#include "engine/adapters/adapter_dropout.h"

#include <torch/nn/init.h>

#include <cmath>

namespace lwb {

double LoraOptions::scale() const
{
    return rslora ? alpha / std::sqrt(static_cast<double>(rank)) : alpha / static_cast<double>(rank);
}

LoraFactors registerLoraFactors(torch::nn::Module &module, std::int64_t inFeatures, std::int64_t outFeatures,
                                std::int64_t rank)
{
    LoraFactors factors;
    factors.a = module.register_parameter("lora_A", torch::empty({rank, inFeatures}));
    factors.b = module.register_parameter("lora_B", torch::zeros({outFeatures, rank}));
    torch::NoGradGuard noGrad;
    torch::nn::init::kaiming_uniform_(factors.a, std::sqrt(5.0));
    return factors;
}

LoraAdapterImpl::LoraAdapterImpl(std::int64_t inFeatures, std::int64_t outFeatures, const LoraOptions &options)
    : options_(options)
    , scale_(options.scale())
{
    const auto factors = registerLoraFactors(*this, inFeatures, outFeatures, options.rank);
    loraA = factors.a;
    loraB = factors.b;
}

torch::Tensor LoraAdapterImpl::shrink(const torch::Tensor &x)
{
    return torch::matmul(adapterDropout(x, options_.dropout, is_training()), loraA.t());
}

torch::Tensor LoraAdapterImpl::delta(const torch::Tensor &x)
{
    // Two thin matmuls (x A^T, then B): never form the [out, in] product.
    return torch::matmul(shrink(x), loraB.t()) * scale_;
}

torch::Tensor LoraAdapterImpl::addDelta(const torch::Tensor &base, const torch::Tensor &x)
{
    // base + s (x A^T) B^T as one GEMM with beta 1 (its backward passes the
    // gradient to base unchanged).
    const auto shrunk = shrink(x);
    return torch::addmm(base.reshape({-1, base.size(-1)}), shrunk.reshape({-1, shrunk.size(-1)}), loraB.t(), 1.0,
                        scale_)
        .view(base.sizes());
}

std::optional<torch::Tensor> LoraAdapterImpl::denseDelta() const
{
    return torch::matmul(loraB, loraA) * scale_;
}

} // namespace lwb
