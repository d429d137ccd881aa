// See sira_routing.h.
#include "engine/adapters/sira_routing.h"

#include <torch/nn/functional/activation.h>

#include <cmath>

namespace lwb {

std::int64_t expertCapacity(double factor, std::int64_t topK, std::int64_t tokens, std::int64_t experts)
{
    if (tokens <= 0)
        return 0;
    // The small tolerance keeps an exact integer (e.g. 1.25 * 2 * 16 / 8 = 5)
    // from rounding up through floating-point noise.
    const double exact = factor * static_cast<double>(topK) * static_cast<double>(tokens) / static_cast<double>(experts);
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(exact - 1e-9)));
}

namespace {

// Position (1-based) of each assignment in its expert's queue, per group:
// choice-major, then token order.
torch::Tensor queuePositions(const torch::Tensor &assigned, std::int64_t groups)
{
    // assigned: [N, k, E] int64 one-hot, zero rows for padding.
    const auto n = assigned.size(0), k = assigned.size(1), e = assigned.size(2);
    const auto perGroup = n / groups;
    auto queue = assigned.reshape({groups, perGroup, k, e}).permute({0, 2, 1, 3}).reshape({groups, k * perGroup, e});
    auto position = queue.cumsum(1).reshape({groups, k, perGroup, e}).permute({0, 2, 1, 3}).reshape({n, k, e});
    return (position * assigned).sum(-1);
}

} // namespace

SiraRouting routeTokens(const torch::Tensor &logits, const torch::Tensor &realTokens, std::int64_t groups,
                        const SiraRoutingOptions &options, bool training)
{
    TORCH_CHECK(logits.dim() == 2 && logits.size(1) == options.experts, "router logits must be [N, experts]");
    TORCH_CHECK(groups >= 1 && logits.size(0) % groups == 0, "tokens must split into equal routing groups");
    SiraRouting routing;
    routing.logits = logits;
    routing.probs = torch::softmax(logits, -1);
    routing.realTokens = realTokens;

    const auto top = routing.probs.topk(options.topK, -1, /*largest=*/true, /*sorted=*/true);
    auto gates = std::get<0>(top);
    routing.experts = std::get<1>(top);
    if (options.renormalizeGates)
        gates = gates / gates.sum(-1, /*keepdim=*/true);

    // Capacity: count only real tokens, admit in (choice, token) order.
    const auto real = realTokens.unsqueeze(1); // [N, 1]
    const auto assigned = torch::one_hot(routing.experts, options.experts) * real.unsqueeze(2).to(torch::kLong);
    if (options.capacityFactor > 0.0) {
        const auto perGroup = logits.size(0) / groups;
        const auto tokensPerGroup = realTokens.reshape({groups, perGroup}).sum(1).to(torch::kCPU);
        const auto *counts = tokensPerGroup.data_ptr<std::int64_t>();
        auto limit = torch::empty({groups}, torch::kLong);
        for (std::int64_t g = 0; g < groups; ++g) {
            routing.capacity.push_back(expertCapacity(options.capacityFactor, options.topK, counts[g], options.experts));
            limit[g] = routing.capacity.back();
        }
        const auto tokenLimit = limit.to(logits.device()).repeat_interleave(perGroup).unsqueeze(1);
        routing.admitted = real & (queuePositions(assigned, groups) <= tokenLimit);
    } else {
        routing.admitted = real.expand({-1, options.topK});
    }

    // Expert dropout acts on the gate weights, not on the routing: a dropped
    // gate still occupies its place in the expert's queue.
    if (training && options.expertDropout > 0.0) {
        routing.dropoutKept = torch::empty_like(gates).bernoulli_(1.0 - options.expertDropout).to(torch::kBool);
        auto kept = gates * routing.dropoutKept;
        if (options.renormalizeAfterDropout) {
            const auto mass = gates.sum(-1, true);
            const auto survived = kept.sum(-1, true);
            const auto any = survived > 0;
            kept = torch::where(any, kept * (mass / torch::where(any, survived, torch::ones_like(survived))),
                                torch::zeros_like(kept));
        }
        gates = kept;
    }
    routing.gates = gates * routing.admitted;
    routing.expertGates = torch::zeros_like(routing.probs).scatter_add(1, routing.experts, routing.gates);
    return routing;
}

torch::Tensor loadBalancingLoss(const SiraRouting &routing)
{
    const auto experts = routing.probs.size(1);
    const auto topK = routing.experts.size(1);
    const auto real = routing.realTokens.to(routing.probs.dtype());
    const auto tokens = real.sum().clamp_min(1.0); // no real tokens: f = P = 0, loss 0
    const auto assigned = torch::one_hot(routing.experts, experts).to(routing.probs.dtype()) * real.view({-1, 1, 1});
    const auto share = assigned.sum(c10::IntArrayRef{0, 1}) / (tokens * static_cast<double>(topK)); // f_e
    const auto meanProb = (routing.probs * real.unsqueeze(1)).sum(0) / tokens;         // P_e
    return static_cast<double>(experts) * (share * meanProb).sum();
}

torch::Tensor routerZLoss(const SiraRouting &routing)
{
    const auto real = routing.realTokens.to(routing.logits.dtype());
    const auto tokens = real.sum().clamp_min(1.0);
    return (routing.logits.logsumexp(-1).pow(2) * real).sum() / tokens;
}

} // namespace lwb
