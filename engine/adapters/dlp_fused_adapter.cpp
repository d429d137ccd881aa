// See dlp_fused_adapter.h.
#include "engine/adapters/dlp_fused_adapter.h"

#include "engine/core/error.h"

#include <sstream>

namespace lwb {

namespace {

// A small host tensor (weights, gates, indices) on `device`: from pinned
// memory without blocking, so that planning a weight set on the host never
// waits for a GPU (a pageable copy synchronises the stream).
torch::Tensor toDevice(const torch::Tensor &t, const c10::Device &device, c10::ScalarType type)
{
    if (device.is_cpu() || !t.device().is_cpu())
        return t.to(device, type);
    return t.to(type).contiguous().pin_memory().to(device, type, /*non_blocking=*/true);
}

// Each entry of the last dim repeated r times in place: [.., n] -> [.., n*r]
// (repeat_interleave by expand, which needs no output size from the device).
torch::Tensor spreadOverRank(const torch::Tensor &t, std::int64_t rank)
{
    auto shape = t.sizes().vec();
    auto expanded = shape;
    expanded.push_back(rank);
    shape.back() *= rank;
    return t.unsqueeze(-1).expand(expanded).reshape(shape);
}

} // namespace

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
        shapes << "A " << a.sizes() << " and B " << b.sizes() << " do not fit this layer (A [r <= " << rank() << ", "
               << loraA.size(2) << "], B [" << loraB.size(1) << ", r])";
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

void DlpFusedAdapterImpl::setPath(Path path)
{
    path_ = path;
    plan_.valid = false;
}

DlpFusedAdapterImpl::FusionPlan &DlpFusedAdapterImpl::plan(const torch::Tensor &x)
{
    const bool trainableWeights = weights_.requires_grad();
    if (!trainableWeights && plan_.valid && plan_.dtype == x.scalar_type() && plan_.device == x.device()
        && plan_.inputDims == x.dim() && plan_.scaleVersion == taskScale._version())
        return plan_;
    plan_ = FusionPlan();
    plan_.dtype = x.scalar_type();
    plan_.device = x.device();
    plan_.inputDims = x.dim();
    plan_.scaleVersion = taskScale._version();
    plan_.valid = !trainableWeights;
    auto gates = toDevice(weights_, x.device(), x.scalar_type());
    if (gates.dim() == 2 && x.dim() == 3)
        gates = gates.unsqueeze(1); // one set per sequence, for every position
    auto scale = taskScale.to(x.scalar_type());
    // Stacked with every LoRA: for weights that require grad (so every
    // weight gets its gradient), and for weights that live on a device,
    // whose zeros the host would have to read back (a wait per layer).
    if (trainableWeights || !weights_.device().is_cpu()) {
        for (std::int64_t i = 0; i < tasks(); ++i)
            plan_.used.push_back(i);
        plan_.perRank = spreadOverRank(gates * scale, rank());
        return plan_;
    }
    // Which LoRAs each sequence uses anywhere, and the batch's union.
    const auto weights3 = weights_.dim() == 2 ? weights_.unsqueeze(1) : weights_;
    const auto perSequenceUse = (weights3 != 0).any(1); // [B, N], on the host
    const auto widest = perSequenceUse.sum(1).max().item<std::int64_t>();
    const auto used = perSequenceUse.any(0).nonzero().reshape({-1});
    plan_.used.assign(used.data_ptr<std::int64_t>(), used.data_ptr<std::int64_t>() + used.numel());
    const auto n = static_cast<std::int64_t>(plan_.used.size());
    const bool perSequence = path_ == Path::PerSequence || (path_ == Path::Auto && 2 * widest <= n);
    if (n > 0 && x.dim() == 3 && perSequence) {
        planPerSequence(plan_, x, widest);
        return plan_;
    }
    if (n < tasks()) {
        const auto index = toDevice(used, x.device(), torch::kInt64);
        gates = gates.index_select(-1, index);
        scale = scale.index_select(0, index);
    }
    plan_.perRank = spreadOverRank(gates * scale, rank());
    return plan_;
}

void DlpFusedAdapterImpl::planPerSequence(FusionPlan &plan, const torch::Tensor &x, std::int64_t width)
{
    // Slot j of sequence b holds its j-th LoRA (ascending); empty slots hold
    // LoRA 0 with gate 0, which adds nothing and passes no gradient.
    const auto weights3 = weights_.dim() == 2 ? weights_.unsqueeze(1) : weights_; // on the host (plan())
    const auto use = (weights3 != 0).any(1);                                      // [B, N]
    const auto batch = use.size(0);
    auto loras = torch::zeros({batch, width}, torch::kInt64);
    auto filled = torch::zeros({batch, width}, torch::kBool);
    const auto useAccess = use.accessor<bool, 2>();
    auto lorasAccess = loras.accessor<std::int64_t, 2>();
    auto filledAccess = filled.accessor<bool, 2>();
    for (std::int64_t b = 0; b < batch; ++b) {
        std::int64_t slot = 0;
        for (std::int64_t i = 0; i < tasks(); ++i) {
            if (useAccess[b][i]) {
                lorasAccess[b][slot] = i;
                filledAccess[b][slot++] = true;
            }
        }
    }
    plan.perSequence = true;
    plan.sequenceLoras = toDevice(loras, loraA.device(), torch::kInt64);
    // Gates [B, 1 | T, k] picked from each sequence's own weights, zero in empty slots.
    const auto positions = weights3.size(1);
    auto gates = weights3.gather(2, loras.unsqueeze(1).expand({batch, positions, width}))
                 * filled.unsqueeze(1).to(weights3.scalar_type());
    // Times each slot's s_i, on the scales' device (the gates go there; the
    // scales never come back) in the weights' dtype, then spread over r.
    const auto type = weights3.scalar_type();
    const auto scale = taskScale.to(type).index_select(0, plan.sequenceLoras.reshape({-1}));
    gates = toDevice(gates, taskScale.device(), type) * scale.reshape({batch, 1, width});
    plan.perRank = spreadOverRank(gates, rank()).to(x.device(), x.scalar_type());
}

std::pair<torch::Tensor, torch::Tensor> DlpFusedAdapterImpl::gathered(FusionPlan &plan)
{
    const bool frozen = !torch::GradMode::is_enabled() || (!loraA.requires_grad() && !loraB.requires_grad());
    if (frozen && plan.shrink.defined() && plan.versionA == loraA._version() && plan.versionB == loraB._version()
        && plan.shrink.scalar_type() == loraA.scalar_type() && plan.shrink.device() == loraA.device())
        return {plan.shrink, plan.expand};
    const auto r = rank(), in = loraA.size(2), out = loraB.size(1);
    torch::Tensor shrink, expand;
    if (plan.perSequence) {
        const auto batch = plan.sequenceLoras.size(0), width = plan.sequenceLoras.size(1);
        const auto flat = plan.sequenceLoras.reshape({-1});
        // A_b [k*r, in]: slot j's rows j*r .. j*r + r - 1; B_b [k*r, out]: the same rows of B^T.
        shrink = loraA.index_select(0, flat).reshape({batch, width * r, in});
        expand = loraB.index_select(0, flat)
                     .reshape({batch, width, out, r})
                     .permute({0, 1, 3, 2})
                     .reshape({batch, width * r, out});
    } else {
        auto a = loraA, b = loraB;
        if (static_cast<std::int64_t>(plan.used.size()) < tasks()) {
            const auto index = toDevice(torch::tensor(plan.used, torch::kInt64), loraA.device(), torch::kInt64);
            a = a.index_select(0, index);
            b = b.index_select(0, index);
        }
        const auto n = a.size(0);
        // A_all [n*r, in]: LoRA i's rows i*r .. i*r + r - 1; B_all [out, n*r]: its columns, the same ones.
        shrink = a.reshape({n * r, in});
        expand = b.permute({1, 0, 2}).reshape({out, n * r});
    }
    if (!frozen)
        return {shrink, expand};
    plan.versionA = loraA._version();
    plan.versionB = loraB._version();
    plan.shrink = shrink.detach();
    plan.expand = expand.detach();
    return {plan.shrink, plan.expand};
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
    auto &current = plan(x);
    if (current.used.empty()) { // every weight zero: nothing to add
        auto shape = x.sizes().vec();
        shape.back() = loraB.size(1);
        return torch::zeros(shape, x.options());
    }
    // One shrink matmul, each LoRA's r columns scaled by its w_i s_i, one expand matmul.
    const auto [shrink, expand] = gathered(current);
    if (current.perSequence) // [B, T, in] x [B, in, k*r] -> [B, T, k*r] x [B, k*r, out]
        return torch::matmul(torch::matmul(x, shrink.transpose(1, 2)) * current.perRank, expand);
    return torch::matmul(torch::matmul(x, shrink.t()) * current.perRank, expand.t());
}

} // namespace lwb
