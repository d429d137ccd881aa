// See fused_linear_cross_entropy.h.
#include "engine/train/fused_linear_cross_entropy.h"

#include "engine/data/batch_builder.h"

#include <torch/torch.h>

#include <algorithm>

namespace lwb {

namespace {

struct FusedLinearCrossEntropyFunction : torch::autograd::Function<FusedLinearCrossEntropyFunction>
{
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &hidden,
                                 const torch::Tensor &weight, const torch::Tensor &labels, std::int64_t chunkTokens,
                                 double softcap)
    {
        const auto tokens = hidden.size(0);
        const auto vocab = weight.size(0);
        const auto chunk
            = chunkTokens > 0 ? chunkTokens : std::max<std::int64_t>(1024, (std::int64_t(1) << 22) / vocab);
        auto gradHidden = torch::empty_like(hidden);
        torch::Tensor gradWeight;
        if (weight.requires_grad())
            gradWeight = torch::zeros_like(weight);
        auto lossSum = torch::zeros({}, hidden.options().dtype(torch::kFloat64));
        for (std::int64_t begin = 0; begin < tokens; begin += chunk) {
            const auto count = std::min(chunk, tokens - begin);
            const auto h = hidden.narrow(0, begin, count);
            const auto target = labels.narrow(0, begin, count);
            const auto scored = target != kIgnoreLabel;
            const auto safeTarget = target.masked_fill(~scored, 0).unsqueeze(1);
            auto z = torch::matmul(h, weight.t()); // [count, V]
            torch::Tensor capSlope;                // tanh(z / cap), then 1 - tanh^2: dy/dz
            if (softcap > 0.0) {
                capSlope = z.div_(softcap).tanh_();
                z = capSlope * softcap;
            }
            const auto logSumExp = z.logsumexp(-1);
            const auto targetLogit = z.gather(1, safeTarget).squeeze(1);
            lossSum += ((logSumExp - targetLogit) * scored).sum(torch::kFloat64);
            // z becomes dLoss/dz: softmax, minus one at the label, rows of
            // unscored tokens zero.
            z.sub_(logSumExp.unsqueeze(1)).exp_();
            z.scatter_add_(1, safeTarget, -torch::ones_like(safeTarget, z.options()));
            z.mul_(scored.unsqueeze(1).to(z.scalar_type()));
            if (capSlope.defined())
                z.mul_(capSlope.mul_(capSlope).neg_().add_(1.0));
            gradHidden.narrow(0, begin, count).copy_(torch::matmul(z, weight));
            if (gradWeight.defined())
                gradWeight.addmm_(z.t(), h);
        }
        ctx->saved_data["grad_hidden"] = gradHidden;
        ctx->saved_data["grad_weight"] = gradWeight;
        return lossSum.to(hidden.scalar_type());
    }

    static torch::autograd::tensor_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::tensor_list gradOutputs)
    {
        const auto scale = gradOutputs[0];
        const auto gradHidden = ctx->saved_data["grad_hidden"].toTensor() * scale;
        auto gradWeight = ctx->saved_data["grad_weight"].toTensor();
        if (gradWeight.defined())
            gradWeight = gradWeight * scale;
        return {gradHidden, gradWeight, torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

} // namespace

torch::Tensor fusedLinearCrossEntropy(const torch::Tensor &hidden, const torch::Tensor &weight,
                                      const torch::Tensor &labels, std::int64_t chunkTokens, double softcap)
{
    TORCH_CHECK(hidden.dim() == 2 && weight.dim() == 2 && hidden.size(1) == weight.size(1),
                "fusedLinearCrossEntropy: hidden [N, D] and weight [V, D] expected");
    TORCH_CHECK(labels.dim() == 1 && labels.size(0) == hidden.size(0), "fusedLinearCrossEntropy: labels [N] expected");
    return FusedLinearCrossEntropyFunction::apply(hidden, weight, labels, chunkTokens, softcap);
}

} // namespace lwb
