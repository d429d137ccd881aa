// See loss_scaler.h.
#include "engine/train/loss_scaler.h"

#include <ATen/ops/_amp_foreach_non_finite_check_and_unscale.h>

namespace lwb {

DynamicLossScaler::DynamicLossScaler(LossScalerOptions options)
    : options_(options)
    , scale_(options.initialScale)
{
}

torch::Tensor DynamicLossScaler::unscale(const std::vector<torch::Tensor> &parameters) const
{
    std::vector<torch::Tensor> grads;
    for (const auto &parameter : parameters) {
        if (parameter.grad().defined())
            grads.push_back(parameter.grad());
    }
    const auto device = grads.empty() ? torch::Device(torch::kCPU) : grads.front().device();
    auto found = torch::zeros({1}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
    if (grads.empty())
        return found.squeeze();
    const auto inverse = torch::full({1}, 1.0 / scale_, found.options());
    // ATen's fused op (what GradScaler calls): sets found to 1 on a non-finite
    // element and multiplies every gradient by inverse, on any device.
    at::_amp_foreach_non_finite_check_and_unscale_(grads, found, inverse);
    return found.squeeze();
}

bool DynamicLossScaler::update(bool foundNonFinite)
{
    if (foundNonFinite) {
        scale_ *= options_.backoffFactor;
        goodSteps_ = 0;
        ++skippedSteps_;
        return false;
    }
    if (++goodSteps_ >= options_.growthInterval) {
        scale_ *= options_.growthFactor;
        goodSteps_ = 0;
    }
    return true;
}

} // namespace lwb
