// See sira_routing_ops.h. Each step names the host function of
// sira_routing.cpp it mirrors; keep the two in the same order of operations.
#include "engine/adapters/sira_routing_ops.h"

#include <torch/csrc/autograd/custom_function.h>
#include <torch/torch.h>

namespace lwb {

namespace {

// The host's accumulator type (at::opmath_type): float for float, half and
// bfloat16, double for double.
c10::ScalarType accumulatorType(c10::ScalarType type)
{
    return type == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
}

// Sum of t [N, k] over k, adding one choice at a time onto 0 as the host
// loops do (a reduction kernel would add in another order).
torch::Tensor sumInChoiceOrder(const torch::Tensor &t)
{
    auto sum = torch::zeros({t.size(0)}, t.options());
    for (std::int64_t j = 0; j < t.size(1); ++j)
        sum = sum + t.select(1, j);
    return sum;
}

// Sum over `dim` in index order: the last entry of a cumsum (on the CPU a
// sequential loop in the accumulator type, double for double).
torch::Tensor sumInIndexOrder(const torch::Tensor &t, std::int64_t dim)
{
    if (t.size(dim) == 0)
        return t.sum(dim);
    return t.cumsum(dim).select(dim, t.size(dim) - 1);
}

// expertCapacity() per group on the device: ceil(factor k T / E - 1e-9), at
// least 1, 0 for a group without real tokens. The same double operations in
// the same order as the host (factor * k first; the division by a tensor).
torch::Tensor groupCapacity(const torch::Tensor &realCount, double factor, std::int64_t topK, std::int64_t experts)
{
    const auto count = realCount.to(torch::kFloat64);
    const auto exact
        = (count * (factor * static_cast<double>(topK))) / torch::full_like(count, static_cast<double>(experts));
    const auto capacity = torch::ceil(exact - 1e-9).to(torch::kInt64).clamp_min(1);
    return torch::where(realCount > 0, capacity, torch::zeros_like(capacity));
}

// [.., E] 0/1 of `index` [..] (torch::one_hot without its host checks of
// the index range, which read the tensor back on the CPU).
torch::Tensor indicator(const torch::Tensor &index, std::int64_t experts, c10::ScalarType type)
{
    return (index.unsqueeze(-1) == torch::arange(experts, index.options())).to(type);
}

// admitAssignments(): whether each asking assignment [N, k] is within its
// group's capacity, by its position in (choice, token) order.
torch::Tensor admitByCapacity(const torch::Tensor &chosen, const torch::Tensor &asks, const torch::Tensor &capacity,
                              std::int64_t groups, std::int64_t experts)
{
    const auto tokens = chosen.size(0), topK = chosen.size(1), perGroup = tokens / groups;
    const auto ordered = chosen.view({groups, perGroup, topK}).transpose(1, 2).reshape({groups, topK * perGroup});
    const auto asking = asks.view({groups, perGroup, topK}).transpose(1, 2).reshape({groups, topK * perGroup});
    // int32 counts: a queue never exceeds the tokens of a group.
    const auto queued = (indicator(ordered, experts, torch::kInt32) * asking.unsqueeze(-1).to(torch::kInt32))
                            .cumsum(1, torch::kInt32);
    const auto position = queued.gather(2, ordered.unsqueeze(-1)).squeeze(-1); // 1-based where asking
    const auto within = asking & (position <= capacity.unsqueeze(1));
    return within.view({groups, topK, perGroup}).transpose(1, 2).reshape({tokens, topK});
}

// The gate rule as the host's GateRule.
struct TensorGateRule
{
    bool renormalize = true;
    bool dropout = false;
    SiraDropoutScaling scaling = SiraDropoutScaling::Inverted;
    double keepScale = 1.0;

    bool renormalizeAfterDropout() const { return dropout && scaling == SiraDropoutScaling::Renormalize; }
};

// TokenGates::load() for all tokens: q, their sum, g, and with dropout the
// mass before it and the survivors' mass, in the accumulator type.
struct GateTerms
{
    torch::Tensor q, sum, g, keep, mass, survived;

    GateTerms(const torch::Tensor &probs, const torch::Tensor &chosen, const torch::Tensor &keepMask,
              const TensorGateRule &rule)
    {
        const auto acc = accumulatorType(probs.scalar_type());
        q = probs.gather(1, chosen).to(acc);
        sum = sumInChoiceOrder(q);
        g = rule.renormalize ? q / sum.unsqueeze(1) : q;
        if (rule.dropout) {
            keep = keepMask.to(acc);
            mass = sumInChoiceOrder(g);
            survived = sumInChoiceOrder(g * keep);
        }
    }
};

// gatesForward(): the final gates [N, k] in the accumulator type.
torch::Tensor gateValues(const GateTerms &terms, const torch::Tensor &admitted, const TensorGateRule &rule)
{
    auto gate = terms.g;
    if (rule.dropout) {
        gate = gate * terms.keep;
        if (rule.renormalizeAfterDropout()) {
            const auto survived = terms.survived.unsqueeze(1);
            gate = torch::where(survived > 0, gate / survived * terms.mass.unsqueeze(1), torch::zeros_like(gate));
        } else if (rule.scaling == SiraDropoutScaling::Inverted) {
            gate = gate * rule.keepScale; // a host scalar: multiplied as acc_t(keepScale), as the host does
        }
    }
    return torch::where(admitted, gate, torch::zeros_like(gate));
}

// gatesBackward(): dL/dq [N, k] (accumulator type) from dL/dexpertGates.
torch::Tensor gateGradient(const GateTerms &terms, const torch::Tensor &chosen, const torch::Tensor &admitted,
                           const torch::Tensor &gradExpertGates, const TensorGateRule &rule)
{
    auto grad = gradExpertGates.gather(1, chosen).to(terms.q.scalar_type());
    grad = torch::where(admitted, grad, torch::zeros_like(grad));
    if (rule.renormalizeAfterDropout()) {
        const auto survived = terms.survived.unsqueeze(1);
        const auto weighted = sumInChoiceOrder(grad * (terms.g * terms.keep / survived)).unsqueeze(1);
        const auto kept = terms.keep != 0;
        const auto through = torch::where(kept, (grad - weighted) / survived * terms.mass.unsqueeze(1) + weighted,
                                          weighted.expand_as(grad));
        grad = torch::where(survived > 0, through, torch::zeros_like(grad));
    } else if (rule.dropout) {
        const double scale = rule.scaling == SiraDropoutScaling::Inverted ? rule.keepScale : 1.0;
        grad = grad * (terms.keep * scale);
    }
    if (!rule.renormalize)
        return grad;
    auto gradSum = torch::zeros_like(terms.sum);
    for (std::int64_t j = 0; j < grad.size(1); ++j)
        gradSum = gradSum - grad.select(1, j) * terms.q.select(1, j);
    gradSum = gradSum / (terms.sum * terms.sum);
    return grad / terms.sum.unsqueeze(1) + gradSum.unsqueeze(1);
}

// chooseExperts() + addFigures() + the admitted count: the pass's figures
// as one [3E + 3] float64 tensor.
torch::Tensor figureTensor(const torch::Tensor &probs, const torch::Tensor &logits, const torch::Tensor &real,
                           const torch::Tensor &chosen, const torch::Tensor &dropped, std::int64_t experts)
{
    const auto p = probs.to(torch::kFloat64), g = logits.to(torch::kFloat64);
    const auto realColumn = real.unsqueeze(1);
    const auto zero = torch::zeros({}, p.options());
    const auto top = chosen.select(1, 0).unsqueeze(1);
    const auto expectedLogit = sumInIndexOrder(p * g, 1);
    // The same torch::log of the same contiguous [N] tensor as the host path.
    const auto logTop = torch::log(p.gather(1, top).squeeze(1).contiguous());
    const auto entropy = g.gather(1, top).squeeze(1) - logTop - expectedLogit;
    const auto realCount = real.to(torch::kFloat64);
    const auto assignments = (indicator(chosen, experts, torch::kFloat64).sum(1) * realColumn).sum(0);
    const auto firstChoices = (indicator(top.squeeze(1), experts, torch::kFloat64) * realColumn).sum(0);
    return torch::cat({assignments, firstChoices, sumInIndexOrder(torch::where(realColumn, p, zero), 0),
                       sumInIndexOrder(torch::where(real, entropy, zero), 0).reshape({1}), realCount.sum().reshape({1}),
                       dropped.to(torch::kFloat64).reshape({1})});
}

// The balance loss E sum_e f_e P_e and its gradient per expert, E f_e / T,
// from the figures, as the host computes them (float64).
std::pair<torch::Tensor, torch::Tensor> balanceTerms(const torch::Tensor &figures, const SiraRoutingOptions &options)
{
    const auto experts = options.experts;
    const auto realCount = figures[3 * experts + 1].clamp_min(1.0); // no real tokens: f = P = 0, loss 0
    const auto share = options.balanceFirstChoice
                           ? figures.narrow(0, experts, experts) / realCount
                           : figures.narrow(0, 0, experts) / (realCount * static_cast<double>(options.topK));
    const auto perExpert = share * static_cast<double>(experts) / realCount;
    return {sumInIndexOrder(perExpert * figures.narrow(0, 2 * experts, experts), 0), perExpert};
}

struct RoutingInputs
{
    torch::Tensor realTokens; // [N] bool on the logits' device
    std::int64_t groups = 1;
    SiraRoutingOptions options;
    bool training = false;
    SiraRouting *routing = nullptr;
};

// logits -> (probs, expertGates, gates, balance) as one node, as the host's RouteTokens.
struct RouteTokensByTensors : public torch::autograd::Function<RouteTokensByTensors>
{
    static torch::autograd::variable_list forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &logits,
                                                  const RoutingInputs &inputs)
    {
        const auto &options = inputs.options;
        auto &routing = *inputs.routing;
        const auto tokens = logits.size(0), experts = options.experts, topK = options.topK;
        const auto &real = inputs.realTokens;
        const auto probs = torch::softmax(logits, -1);
        const auto chosen
            = std::get<1>(probs.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true)).narrow(1, 0, topK).contiguous();

        TensorGateRule rule;
        rule.renormalize = options.renormalizeGates;
        rule.scaling = options.dropoutScaling;
        torch::Tensor keep, keepFlags;
        if (inputs.training && options.expertDropout > 0.0) {
            rule.dropout = true;
            rule.keepScale = 1.0 / (1.0 - options.expertDropout);
            keep = torch::empty({tokens, topK}, probs.options()).bernoulli_(1.0 - options.expertDropout);
            keepFlags = keep.to(torch::kBool);
            routing.dropoutKept = keepFlags;
        }
        auto asks = real.unsqueeze(1).expand({tokens, topK});
        if (rule.dropout && options.dropoutBeforeCapacity)
            asks = asks & keepFlags;
        torch::Tensor admitted = asks.contiguous();
        if (options.capacityFactor > 0.0) {
            const auto realCount = real.view({inputs.groups, tokens / inputs.groups}).sum(1);
            routing.capacity = groupCapacity(realCount, options.capacityFactor, topK, experts);
            admitted = admitByCapacity(chosen, asks, routing.capacity, inputs.groups, experts);
        }
        const auto dropped = (asks & admitted.logical_not()).sum();

        const GateTerms terms(probs, chosen, keep, rule);
        const auto gates = gateValues(terms, admitted, rule).to(probs.scalar_type());
        const auto expertGates = torch::zeros({tokens, experts}, probs.options()).scatter(1, chosen, gates);

        routing.figureTensor = figureTensor(probs, logits, real, chosen, dropped, experts);
        const auto [balance, balanceGradient] = balanceTerms(routing.figureTensor, options);
        routing.experts = chosen;
        routing.admitted = admitted;

        ctx->saved_data["probs"] = probs.detach();
        ctx->saved_data["chosen"] = chosen;
        ctx->saved_data["admitted"] = admitted;
        ctx->saved_data["keep"] = keep;
        ctx->saved_data["renormalize"] = rule.renormalize;
        ctx->saved_data["dropout"] = rule.dropout;
        ctx->saved_data["scaling"] = static_cast<std::int64_t>(rule.scaling);
        ctx->saved_data["keepScale"] = rule.keepScale;
        ctx->saved_data["real"] = real;
        ctx->saved_data["balanceGradient"] = balanceGradient;
        ctx->mark_non_differentiable({gates});
        return {probs, expertGates, gates, balance.to(probs.scalar_type())};
    }

    // grads: dL/dprobs, dL/dexpertGates, (gates: none), dL/dbalance.
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                   torch::autograd::variable_list grads)
    {
        const auto probs = ctx->saved_data["probs"].toTensor();
        const auto chosen = ctx->saved_data["chosen"].toTensor();
        const auto admitted = ctx->saved_data["admitted"].toTensor();
        const auto keep = ctx->saved_data["keep"].toTensor();
        const auto real = ctx->saved_data["real"].toTensor();
        const auto balanceGradient = ctx->saved_data["balanceGradient"].toTensor();
        TensorGateRule rule;
        rule.renormalize = ctx->saved_data["renormalize"].toBool();
        rule.dropout = ctx->saved_data["dropout"].toBool();
        rule.scaling = static_cast<SiraDropoutScaling>(ctx->saved_data["scaling"].toInt());
        rule.keepScale = ctx->saved_data["keepScale"].toDouble();

        const GateTerms terms(probs, chosen, keep, rule);
        const auto gradQ = gateGradient(terms, chosen, admitted, grads[1], rule).to(probs.scalar_type());
        auto gradProbs = grads[0].scatter_add(1, chosen, gradQ);
        // dL/dp_te += gradBalance * E f_e / T on the real tokens (addBalanceGradient).
        const auto perExpert = (grads[3].to(torch::kFloat64) * balanceGradient).to(probs.scalar_type());
        gradProbs = gradProbs + torch::where(real.unsqueeze(1), perExpert.unsqueeze(0), torch::zeros_like(perExpert));
        const auto gradLogits = torch::_softmax_backward_data(gradProbs, probs, 1, probs.scalar_type());
        return {gradLogits, torch::Tensor()};
    }
};

} // namespace

std::int64_t routingFigureCount(std::int64_t experts)
{
    return 3 * experts + 3;
}

SiraRoutingFigures unpackRoutingFigures(const torch::Tensor &figures, std::int64_t experts)
{
    TORCH_CHECK(figures.numel() == routingFigureCount(experts), "routing figures must hold 3E + 3 numbers");
    const auto host = figures.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    const auto *value = host.data_ptr<double>();
    const auto e = static_cast<std::ptrdiff_t>(experts);
    SiraRoutingFigures out;
    out.assignments.assign(value, value + e);
    out.firstChoices.assign(value + e, value + 2 * e);
    out.probabilitySum.assign(value + 2 * e, value + 3 * e);
    out.entropySum = value[3 * e];
    out.realTokens = value[3 * e + 1];
    out.droppedAssignments = value[3 * e + 2];
    return out;
}

void routeTokensByTensorOps(const torch::Tensor &logits, const torch::Tensor &realTokens, std::int64_t groups,
                            const SiraRoutingOptions &options, bool training, SiraRouting &routing)
{
    const RoutingInputs inputs{realTokens, groups, options, training, &routing};
    const auto outputs = RouteTokensByTensors::apply(logits, inputs);
    routing.probs = outputs[0];
    routing.expertGates = outputs[1];
    routing.gates = outputs[2];
    routing.balanceLoss = outputs[3];
}

} // namespace lwb
