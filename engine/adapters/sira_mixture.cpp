// See sira_mixture.h.
#include "engine/adapters/sira_mixture.h"

#include <torch/csrc/autograd/custom_function.h>

namespace lwb {

namespace {

// Column e*r + j of [N, E*r] times gates[:, e].
torch::Tensor gateBlocks(const torch::Tensor &hidden, const torch::Tensor &gates)
{
    const auto tokens = gates.size(0), experts = gates.size(1);
    return (hidden.view({tokens, experts, -1}) * gates.unsqueeze(-1)).view({tokens, -1});
}

struct GatedExperts : public torch::autograd::Function<GatedExperts>
{
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x,
                                 const torch::Tensor &loraA, const torch::Tensor &loraB,
                                 const torch::Tensor &expertGates, double scale)
    {
        const auto experts = loraA.size(0), rank = loraA.size(1), inFeatures = loraA.size(2);
        const auto outFeatures = loraB.size(1);
        const auto stackedA = loraA.reshape({experts * rank, inFeatures});
        // Column e*r + j of the stacked B is column j of B_e.
        const auto stackedB = loraB.permute({1, 0, 2}).reshape({outFeatures, experts * rank});
        const auto gates = expertGates * scale;
        const auto hidden = torch::mm(x, stackedA.t());
        const auto gated = gateBlocks(hidden, gates);
        ctx->save_for_backward({x, stackedA, stackedB, gates, hidden, gated});
        ctx->saved_data["scale"] = scale;
        return torch::mm(gated, stackedB.t());
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                   torch::autograd::variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const auto &x = saved[0], &stackedA = saved[1], &stackedB = saved[2], &gates = saved[3];
        const auto &hidden = saved[4], &gated = saved[5];
        const auto scale = ctx->saved_data["scale"].toDouble();
        const auto experts = gates.size(1), rank = stackedA.size(0) / experts;
        const auto outFeatures = stackedB.size(0);
        const auto gradOut = grads[0].contiguous();

        const auto gradGated = torch::mm(gradOut, stackedB); // [N, E*r]
        const auto gradHidden = gateBlocks(gradGated, gates);
        torch::Tensor gradX, gradA, gradB, gradGates;
        if (ctx->needs_input_grad(0))
            gradX = torch::mm(gradHidden, stackedA);
        if (ctx->needs_input_grad(1))
            gradA = torch::mm(gradHidden.t(), x).view({experts, rank, -1});
        if (ctx->needs_input_grad(2))
            gradB = torch::mm(gradOut.t(), gated).view({outFeatures, experts, rank}).permute({1, 0, 2}).contiguous();
        if (ctx->needs_input_grad(3))
            gradGates = (gradGated * hidden).view({gates.size(0), experts, rank}).sum(-1) * scale;
        return {gradX, gradA, gradB, gradGates, torch::Tensor()};
    }
};

} // namespace

torch::Tensor mixLoraExperts(const torch::Tensor &x, const torch::Tensor &loraA, const torch::Tensor &loraB,
                             const torch::Tensor &expertGates, double scale)
{
    return GatedExperts::apply(x, loraA, loraB, expertGates, scale);
}

} // namespace lwb
