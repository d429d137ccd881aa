// See gradient_norm.h.
#include "engine/train/gradient_norm.h"

#include <torch/torch.h>

#include <cmath>

namespace lwb {

torch::Tensor clipGradientNorm(const std::vector<torch::Tensor> &parameters, double maxNorm)
{
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> grads, norms;
    for (const auto &parameter : parameters) {
        if (parameter.grad().defined()) {
            grads.push_back(parameter.grad());
            norms.push_back(parameter.grad().norm(2));
        }
    }
    if (grads.empty())
        return torch::zeros({}, torch::kFloat32);
    const auto total = norms.size() == 1 ? norms.front() : torch::stack(norms).norm(2);
    if (std::isfinite(maxNorm)) {
        const auto coefficient = torch::clamp(maxNorm / (total + 1e-6), std::nullopt, 1.0);
        for (auto &grad : grads)
            grad.mul_(coefficient);
    }
    return total;
}

} // namespace lwb
