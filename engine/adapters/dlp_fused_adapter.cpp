// See dlp_fused_adapter.h.
#include "engine/adapters/dlp_fused_adapter.h"

#include "engine/core/error.h"

#include <sstream>

namespace lwb {

DlpFusedAdapterImpl::DlpFusedAdapterImpl(std::int64_t inFeatures, std::int64_t outFeatures, std::int64_t tasks,
                                         std::int64_t rank)
{
    if (tasks < 1 || rank < 1)
        throw Error("DLP fused adapter", "needs at least one task LoRA of rank >= 1");
    loraA = register_parameter("lora_A", torch::zeros({tasks, rank, inFeatures}));
    loraB = register_parameter("lora_B", torch::zeros({tasks, outFeatures, rank}));
    taskScale = register_buffer("task_scale", torch::zeros({tasks}));
}

void DlpFusedAdapterImpl::setTaskLora(std::int64_t task, const torch::Tensor &a, const torch::Tensor &b, double scale)
{
    const auto where = "DLP task LoRA " + std::to_string(task);
    if (task < 0 || task >= tasks())
        throw Error(where, "no such task in a library of " + std::to_string(tasks()));
    if (a.dim() != 2 || b.dim() != 2 || a.size(1) != loraA.size(2) || b.size(0) != loraB.size(1)
        || a.size(0) != b.size(1) || a.size(0) > rank()) {
        std::ostringstream shapes;
        shapes << "A " << a.sizes() << " and B " << b.sizes() << " do not fit this layer (A [r <= " << rank()
               << ", " << loraA.size(2) << "], B [" << loraB.size(1) << ", r])";
        throw Error(where, shapes.str());
    }
    torch::NoGradGuard noGrad;
    const auto r = a.size(0);
    loraA[task].zero_();
    loraB[task].zero_();
    loraA[task].narrow(0, 0, r).copy_(a);
    loraB[task].narrow(1, 0, r).copy_(b);
    taskScale[task].fill_(scale);
}

void DlpFusedAdapterImpl::setFusionWeights(torch::Tensor weights)
{
    if (!weights.defined() || (weights.dim() != 2 && weights.dim() != 3) || weights.size(-1) != tasks()) {
        std::ostringstream shape;
        if (weights.defined())
            shape << weights.sizes();
        throw Error("DLP fusion weights", "expected [B, " + std::to_string(tasks()) + "] or [B, T, "
                                              + std::to_string(tasks()) + "], got " + shape.str());
    }
    weights_ = std::move(weights);
}

torch::Tensor DlpFusedAdapterImpl::delta(const torch::Tensor &x)
{
    if (!weights_.defined())
        throw Error("DLP fused adapter", "no fusion weights set: route the batch (DlpRouter) before the forward");
    // Gates [B, 1, N] (per sequence) or [B, T, N] (per position), matching x [B, T, in];
    // [B, N] directly for x [B, in].
    auto gates = weights_.to(x.device(), x.scalar_type());
    if (gates.size(0) != x.size(0) || (gates.dim() == 3 && (x.dim() != 3 || gates.size(1) != x.size(1)))) {
        std::ostringstream shapes;
        shapes << "fusion weights " << weights_.sizes() << " do not fit the input " << x.sizes();
        throw Error("DLP fused adapter", shapes.str());
    }
    if (gates.dim() == 2 && x.dim() == 3)
        gates = gates.unsqueeze(1);

    auto a = loraA, b = loraB, scale = taskScale.to(x.scalar_type());
    if (!gates.requires_grad()) {
        const auto used = (gates != 0).reshape({-1, tasks()}).any(0).nonzero().squeeze(1).to(torch::kCPU);
        if (used.numel() < tasks()) {
            const auto index = used.to(loraA.device());
            a = a.index_select(0, index);
            b = b.index_select(0, index);
            scale = scale.index_select(0, index);
            gates = gates.index_select(-1, index.to(gates.device()));
        }
    }
    const auto n = a.size(0), r = a.size(1), out = b.size(1);
    if (n == 0) { // every weight zero: nothing to add
        auto shape = x.sizes().vec();
        shape.back() = out;
        return torch::zeros(shape, x.options());
    }
    // One shrink matmul to [.., n*r], each LoRA's r columns scaled by its
    // sequence's w_i s_i, one expand matmul.
    const auto shrunk = torch::matmul(x, a.reshape({n * r, a.size(2)}).t());
    const auto perRank = torch::repeat_interleave(gates * scale, r, -1); // [.., n*r]: w_i s_i, r times each
    // B_all [out, n*r]: LoRA i's B in columns i*r .. i*r + r - 1, as A_all's rows.
    const auto expand = b.permute({1, 0, 2}).reshape({out, n * r});
    return torch::matmul(shrunk * perRank, expand.t());
}

} // namespace lwb
