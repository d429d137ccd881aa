// See sira_mixture.h.
#include "engine/adapters/sira_mixture.h"

#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

namespace lwb {

namespace {

// [E, E*r] with ones where column c belongs to expert c / r: gates [N, E]
// times it repeat each gate over its expert's r columns, and [N, E*r] times
// its transpose sums each expert's r columns. Both as (exact) matmuls, far
// cheaper on CPU than a broadcast multiply and a reduction over 4 columns.
torch::Tensor expertColumns(std::int64_t experts, std::int64_t rank, const torch::TensorOptions &options)
{
    // Built where it is used: a host-built matrix copied to a GPU would wait
    // for the device in every layer's forward. Row e: ones at e*r .. e*r+r-1.
    return torch::eye(experts, options)
        .unsqueeze(2)
        .expand({experts, experts, rank})
        .reshape({experts, experts * rank});
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
        const auto columns = expertColumns(experts, rank, x.options());
        const auto gates = torch::mm(expertGates * scale, columns); // [N, E*r]
        const auto hidden = torch::mm(x, stackedA.t());
        const auto gated = hidden * gates;
        ctx->save_for_backward({x, stackedA, stackedB, gates, hidden, gated, columns});
        ctx->saved_data["scale"] = scale;
        return torch::mm(gated, stackedB.t());
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                   torch::autograd::variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const auto &x = saved[0], &stackedA = saved[1], &stackedB = saved[2], &gates = saved[3];
        const auto &hidden = saved[4], &gated = saved[5], &columns = saved[6];
        const auto scale = ctx->saved_data["scale"].toDouble();
        const auto experts = columns.size(0), rank = columns.size(1) / experts;
        const auto outFeatures = stackedB.size(0);
        // The backward computes in the forward's product dtype. Under autocast
        // (bf16/fp16 training) the forward's matmuls cast x, the float32
        // experts and the gates to bf16, but backward runs after the autocast
        // scope has closed, so the same mm on a bf16 gradient and a float32
        // expert would fail: cast explicitly to the dtype `hidden` was computed
        // in (a no-op without autocast). The gradients of the float32 experts
        // come back in that dtype and autograd casts them to float32, as it
        // does behind autocast's own cast node.
        const auto computeType = hidden.scalar_type();
        const auto gradOut = grads[0].to(computeType).contiguous();
        const auto expertsA = stackedA.to(computeType), expertsB = stackedB.to(computeType);

        const auto gradGated = torch::mm(gradOut, expertsB); // [N, E*r]
        const auto gradHidden = gradGated * gates;
        torch::Tensor gradX, gradA, gradB, gradGates;
        if (ctx->needs_input_grad(0))
            gradX = torch::mm(gradHidden, expertsA);
        if (ctx->needs_input_grad(1))
            gradA = torch::mm(gradHidden.t(), x.to(computeType)).view({experts, rank, -1});
        if (ctx->needs_input_grad(2))
            gradB = torch::mm(gradOut.t(), gated).view({outFeatures, experts, rank}).permute({1, 0, 2}).contiguous();
        if (ctx->needs_input_grad(3))
            gradGates = torch::mm(gradGated * hidden, columns.t().to(computeType)) * scale;
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
