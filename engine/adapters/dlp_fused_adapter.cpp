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
    // The same tensor, unchanged (per-input decoding sets it every step): keep the plan.
    if (weights_.defined() && weights.is_same(weights_) && weights._version() == weightsVersion_)
        return;
    weights_ = std::move(weights);
    weightsVersion_ = weights_._version();
    plan_.valid = false;
}

const DlpFusedAdapterImpl::FusionPlan &DlpFusedAdapterImpl::plan(const torch::Tensor &x)
{
    const bool trainableWeights = weights_.requires_grad();
    if (!trainableWeights && plan_.valid && plan_.dtype == x.scalar_type() && plan_.device == x.device()
        && plan_.scaleVersion == taskScale._version())
        return plan_;
    plan_ = FusionPlan();
    auto gates = weights_.to(x.device(), x.scalar_type());
    if (gates.dim() == 2 && x.dim() == 3)
        gates = gates.unsqueeze(1); // one set per sequence, for every position
    auto scale = taskScale.to(x.scalar_type());
    if (trainableWeights) { // every LoRA, so that every weight gets its gradient
        for (std::int64_t i = 0; i < tasks(); ++i)
            plan_.used.push_back(i);
    } else {
        const auto used = (weights_ != 0).reshape({-1, tasks()}).any(0).nonzero().reshape({-1}).to(torch::kCPU);
        plan_.used.assign(used.data_ptr<std::int64_t>(), used.data_ptr<std::int64_t>() + used.numel());
        if (static_cast<std::int64_t>(plan_.used.size()) < tasks()) {
            const auto index = used.to(x.device());
            gates = gates.index_select(-1, index);
            scale = scale.index_select(0, index);
        }
    }
    plan_.perRank = torch::repeat_interleave(gates * scale, rank(), -1); // w_i s_i, r times each
    plan_.dtype = x.scalar_type();
    plan_.device = x.device();
    plan_.scaleVersion = taskScale._version();
    plan_.valid = !trainableWeights;
    return plan_;
}

std::pair<torch::Tensor, torch::Tensor> DlpFusedAdapterImpl::gathered(const std::vector<std::int64_t> &used)
{
    const bool frozen = !torch::GradMode::is_enabled() || (!loraA.requires_grad() && !loraB.requires_grad());
    if (frozen && gathered_.shrink.defined() && gathered_.used == used && gathered_.versionA == loraA._version()
        && gathered_.versionB == loraB._version() && gathered_.shrink.scalar_type() == loraA.scalar_type()
        && gathered_.shrink.device() == loraA.device())
        return {gathered_.shrink, gathered_.expand};
    auto a = loraA, b = loraB;
    if (static_cast<std::int64_t>(used.size()) < tasks()) {
        const auto index = torch::tensor(used, torch::kInt64).to(loraA.device());
        a = a.index_select(0, index);
        b = b.index_select(0, index);
    }
    const auto n = a.size(0), r = a.size(1);
    // A_all [n*r, in]: LoRA i's rows i*r .. i*r + r - 1; B_all [out, n*r]: its columns, the same ones.
    auto shrink = a.reshape({n * r, a.size(2)});
    auto expand = b.permute({1, 0, 2}).reshape({b.size(1), n * r});
    if (!frozen)
        return {shrink, expand};
    gathered_.used = used;
    gathered_.versionA = loraA._version();
    gathered_.versionB = loraB._version();
    gathered_.shrink = shrink.detach();
    gathered_.expand = expand.detach();
    return {gathered_.shrink, gathered_.expand};
}

torch::Tensor DlpFusedAdapterImpl::delta(const torch::Tensor &x)
{
    if (!weights_.defined())
        throw Error("DLP fused adapter", "no fusion weights set: route the batch (DlpRouter) before the forward");
    // Weights [B, N] (one set per sequence) or [B, T, N] (per position) for x [B, T, in]; [B, N] for x [B, in].
    if (weights_.size(0) != x.size(0) || (weights_.dim() == 3 && (x.dim() != 3 || weights_.size(1) != x.size(1)))) {
        std::ostringstream shapes;
        shapes << "fusion weights " << weights_.sizes() << " do not fit the input " << x.sizes();
        throw Error("DLP fused adapter", shapes.str());
    }
    const auto &current = plan(x);
    if (current.used.empty()) { // every weight zero: nothing to add
        auto shape = x.sizes().vec();
        shape.back() = loraB.size(1);
        return torch::zeros(shape, x.options());
    }
    // One shrink matmul to [.., n*r], each LoRA's r columns scaled by its
    // sequence's w_i s_i, one expand matmul.
    const auto [shrink, expand] = gathered(current.used);
    return torch::matmul(torch::matmul(x, shrink.t()) * current.perRank, expand.t());
}

} // namespace lwb
