// See sira_routing.h.
#include "engine/adapters/sira_routing.h"

#include "engine/adapters/sira_routing_ops.h"

#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>

namespace lwb {

std::int64_t expertCapacity(double factor, std::int64_t topK, std::int64_t tokens, std::int64_t experts)
{
    if (tokens <= 0)
        return 0;
    // The small tolerance keeps an exact integer (e.g. 1.25 * 2 * 16 / 8 = 5)
    // from rounding up through floating-point noise.
    const double exact
        = factor * static_cast<double>(topK) * static_cast<double>(tokens) / static_cast<double>(experts);
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(exact - 1e-9)));
}

namespace {

torch::Tensor onHost(const torch::Tensor &t)
{
    return t.device().is_cpu() ? t.contiguous() : t.to(torch::kCPU).contiguous();
}

// Top-k experts of every token, most probable first (ties: lower index
// first).
template <typename scalar_t>
void chooseExperts(const scalar_t *probs, std::int64_t tokens, std::int64_t experts, std::int64_t topK,
                   std::int64_t *chosen)
{
    std::vector<bool> taken(static_cast<std::size_t>(experts));
    for (std::int64_t t = 0; t < tokens; ++t) {
        const scalar_t *p = probs + t * experts;
        std::fill(taken.begin(), taken.end(), false);
        for (std::int64_t j = 0; j < topK; ++j) {
            std::int64_t best = -1;
            for (std::int64_t e = 0; e < experts; ++e) {
                if (!taken[static_cast<std::size_t>(e)] && (best < 0 || p[e] > p[best]))
                    best = e;
            }
            taken[static_cast<std::size_t>(best)] = true;
            chosen[t * topK + j] = best;
        }
    }
}

// log p of every token's first choice, in float64, as one torch::log over a
// contiguous [N] tensor: the tensor path (sira_routing_ops.cpp) takes the
// same log of the same tensor, so the entropy figures agree to the bit
// (std::log and torch's vectorised log may differ in the last place).
template <typename scalar_t>
torch::Tensor logOfFirstChoices(const scalar_t *probs, const std::int64_t *chosen, std::int64_t tokens,
                                std::int64_t experts, std::int64_t topK)
{
    auto top = torch::empty({tokens}, torch::kFloat64);
    auto *value = top.data_ptr<double>();
    for (std::int64_t t = 0; t < tokens; ++t)
        value[t] = static_cast<double>(probs[t * experts + chosen[t * topK]]);
    return torch::log(top);
}

// The figures of the real tokens. The entropy -sum p log p is computed as
// lse - sum p g with lse = g_top - log p_top: one log per token.
template <typename scalar_t>
void addFigures(const scalar_t *probs, const scalar_t *logits, const double *logTop, const bool *real,
                std::int64_t tokens, std::int64_t experts, std::int64_t topK, const std::int64_t *chosen,
                SiraRoutingFigures &figures)
{
    for (std::int64_t t = 0; t < tokens; ++t) {
        if (!real[t])
            continue;
        const scalar_t *p = probs + t * experts;
        const scalar_t *g = logits + t * experts;
        const auto top = chosen[t * topK];
        double expectedLogit = 0.0;
        for (std::int64_t e = 0; e < experts; ++e) {
            figures.probabilitySum[static_cast<std::size_t>(e)] += static_cast<double>(p[e]);
            expectedLogit += static_cast<double>(p[e]) * static_cast<double>(g[e]);
        }
        for (std::int64_t j = 0; j < topK; ++j)
            figures.assignments[static_cast<std::size_t>(chosen[t * topK + j])] += 1.0;
        figures.firstChoices[static_cast<std::size_t>(top)] += 1.0;
        figures.entropySum += static_cast<double>(g[top]) - logTop[t] - expectedLogit;
        figures.realTokens += 1.0;
    }
}

// Capacity, per group: queue positions in (choice, token) order. queued:
// [N, k] whether an assignment asks for a place (undefined = every real
// one; expert dropout before capacity takes the dropped ones out).
void admitAssignments(const std::int64_t *chosen, const bool *real, const bool *queues, std::int64_t tokens,
                      std::int64_t groups, const SiraRoutingOptions &options, bool *admitted, SiraRouting &routing,
                      std::vector<std::int64_t> &capacities)
{
    const auto topK = options.topK;
    const auto perGroup = tokens / groups;
    std::vector<std::int64_t> queued(static_cast<std::size_t>(options.experts));
    for (std::int64_t start = 0; start < tokens; start += perGroup) {
        const auto end = start + perGroup;
        if (options.capacityFactor <= 0.0) {
            for (std::int64_t t = start; t < end; ++t) {
                for (std::int64_t j = 0; j < topK; ++j)
                    admitted[t * topK + j] = real[t] && (!queues || queues[t * topK + j]);
            }
            continue;
        }
        const auto realCount = std::count(real + start, real + end, true);
        const auto capacity = expertCapacity(options.capacityFactor, topK, realCount, options.experts);
        capacities.push_back(capacity);
        std::fill(queued.begin(), queued.end(), 0);
        for (std::int64_t j = 0; j < topK; ++j) {
            for (std::int64_t t = start; t < end; ++t) {
                const auto slot = t * topK + j;
                const bool asks = real[t] && (!queues || queues[slot]);
                admitted[slot] = asks && ++queued[static_cast<std::size_t>(chosen[slot])] <= capacity;
                if (asks && !admitted[slot])
                    routing.figures.droppedAssignments += 1.0;
            }
        }
    }
}

// Gate arithmetic of one token, in the order the maths reads: the chosen
// probabilities q, renormalised to sum 1 (option), expert dropout with the
// survivors scaled as SiraDropoutScaling says, times admitted.
struct GateRule
{
    bool renormalize = true;
    bool dropout = false; // a keep mask is given
    SiraDropoutScaling scaling = SiraDropoutScaling::Inverted;
    double keepScale = 1.0; // Inverted: 1 / (1 - p)

    bool renormalizeAfterDropout() const { return dropout && scaling == SiraDropoutScaling::Renormalize; }
};

template <typename acc_t> struct TokenGates
{
    std::vector<acc_t> q, g; // chosen probabilities; gates before dropout
    acc_t sum = 0, mass = 0, survived = 0;

    explicit TokenGates(std::int64_t topK)
        : q(static_cast<std::size_t>(topK))
        , g(static_cast<std::size_t>(topK))
    {
    }

    // Fills q and g and the sums the backward needs.
    template <typename scalar_t>
    void load(const scalar_t *p, const std::int64_t *chosen, const scalar_t *keep, const GateRule &rule)
    {
        sum = mass = survived = 0;
        for (std::size_t j = 0; j < q.size(); ++j) {
            q[j] = static_cast<acc_t>(p[chosen[j]]);
            sum += q[j];
        }
        for (std::size_t j = 0; j < q.size(); ++j) {
            g[j] = rule.renormalize ? q[j] / sum : q[j];
            if (rule.dropout) {
                mass += g[j];
                survived += g[j] * static_cast<acc_t>(keep[j]);
            }
        }
    }
};

template <typename scalar_t>
void gatesForward(const scalar_t *probs, const std::int64_t *chosen, const bool *admitted, const scalar_t *keep,
                  std::int64_t tokens, std::int64_t experts, std::int64_t topK, const GateRule &rule, scalar_t *gates,
                  scalar_t *expertGates)
{
    using acc_t = at::opmath_type<scalar_t>;
    TokenGates<acc_t> token(topK);
    for (std::int64_t t = 0; t < tokens; ++t) {
        const auto *tokenKeep = keep ? keep + t * topK : nullptr;
        token.load(probs + t * experts, chosen + t * topK, tokenKeep, rule);
        for (std::int64_t j = 0; j < topK; ++j) {
            acc_t gate = token.g[static_cast<std::size_t>(j)];
            if (rule.dropout) {
                gate *= static_cast<acc_t>(tokenKeep[j]);
                // (g / survived) * mass: the share among survivors is <= 1,
                // so a tiny sole survivor (p ~ 1e-30) gets exactly the mass.
                if (rule.renormalizeAfterDropout())
                    gate = token.survived > 0 ? gate / token.survived * token.mass : acc_t(0);
                else if (rule.scaling == SiraDropoutScaling::Inverted)
                    gate *= static_cast<acc_t>(rule.keepScale);
            }
            gate = admitted[t * topK + j] ? gate : acc_t(0);
            gates[t * topK + j] = static_cast<scalar_t>(gate);
            expertGates[t * experts + chosen[t * topK + j]] = static_cast<scalar_t>(gate);
        }
    }
}

// The chain rule of gatesForward, token by token, into the chosen entries of
// dL/dprobs (the others get 0: the gates do not depend on them).
template <typename scalar_t>
void gatesBackward(const scalar_t *probs, const std::int64_t *chosen, const bool *admitted, const scalar_t *keep,
                   std::int64_t tokens, std::int64_t experts, std::int64_t topK, const GateRule &rule,
                   const scalar_t *gradExpertGates, scalar_t *gradProbs)
{
    using acc_t = at::opmath_type<scalar_t>;
    TokenGates<acc_t> token(topK);
    std::vector<acc_t> grad(static_cast<std::size_t>(topK));
    for (std::int64_t t = 0; t < tokens; ++t) {
        const auto *tokenKeep = keep ? keep + t * topK : nullptr;
        const auto *tokenChosen = chosen + t * topK;
        token.load(probs + t * experts, tokenChosen, tokenKeep, rule);
        for (std::int64_t j = 0; j < topK; ++j) {
            const bool in = admitted[t * topK + j];
            grad[static_cast<std::size_t>(j)]
                = in ? static_cast<acc_t>(gradExpertGates[t * experts + tokenChosen[j]]) : 0;
        }
        // Through dropout: gate_j = mass * w_j, w_j = g_j m_j / survived, so
        //   dL/dg_i = m_i (G_i - Gw) mass / survived + Gw,  Gw = sum_j G_j w_j.
        // Written this way, not through 1 / survived^2: a sole survivor with
        // a tiny gate (second choice at p ~ 1e-30, the first dropped) has
        // G_i = Gw exactly, where survived^2 underflowed to 0 in float32 and
        // turned the router's gradient into NaN.
        if (rule.renormalizeAfterDropout()) {
            if (token.survived > 0) {
                acc_t weighted = 0; // Gw
                for (std::int64_t j = 0; j < topK; ++j) {
                    const auto uj = static_cast<std::size_t>(j);
                    weighted += grad[uj] * (token.g[uj] * static_cast<acc_t>(tokenKeep[j]) / token.survived);
                }
                for (std::int64_t j = 0; j < topK; ++j) {
                    const auto uj = static_cast<std::size_t>(j);
                    const bool kept = tokenKeep[j] != scalar_t(0);
                    grad[uj] = kept ? (grad[uj] - weighted) / token.survived * token.mass + weighted : weighted;
                }
            } else {
                std::fill(grad.begin(), grad.end(), acc_t(0));
            }
        } else if (rule.dropout) {
            const auto scale = static_cast<acc_t>(rule.scaling == SiraDropoutScaling::Inverted ? rule.keepScale : 1.0);
            for (std::int64_t j = 0; j < topK; ++j)
                grad[static_cast<std::size_t>(j)] *= static_cast<acc_t>(tokenKeep[j]) * scale;
        }
        // Through the renormalisation g_j = q_j / sum q.
        acc_t gradSum = 0;
        if (rule.renormalize) {
            for (std::size_t j = 0; j < grad.size(); ++j)
                gradSum -= grad[j] * token.q[j];
            gradSum /= token.sum * token.sum;
        }
        for (std::int64_t j = 0; j < topK; ++j) {
            const auto uj = static_cast<std::size_t>(j);
            const acc_t gradQ = rule.renormalize ? grad[uj] / token.sum + gradSum : grad[uj];
            // Added, not assigned: dL/dprobs may also come from a use of
            // the probs output itself.
            gradProbs[t * experts + tokenChosen[j]] += static_cast<scalar_t>(gradQ);
        }
    }
}

// dL/dp_te += gradBalance * E f_e / T on the real tokens.
template <typename scalar_t>
void addBalanceGradient(double gradBalance, const double *perExpert, const bool *real, std::int64_t tokens,
                        std::int64_t experts, scalar_t *gradProbs)
{
    for (std::int64_t t = 0; t < tokens; ++t) {
        if (!real[t])
            continue;
        for (std::int64_t e = 0; e < experts; ++e)
            gradProbs[t * experts + e] += static_cast<scalar_t>(gradBalance * perExpert[e]);
    }
}

// What a routing pass needs besides the logits (not differentiable).
struct RoutingRequest
{
    torch::Tensor realTokens; // [N] bool on the host
    std::int64_t groups = 1;
    SiraRoutingOptions options;
    bool training = false;
    SiraRouting *routing = nullptr; // receives the decisions and figures
};

// logits -> (probs, expertGates [N, E], gates [N, k] values): softmax, the
// host pass and the gates as one autograd node, whose backward is the gates'
// chain rule above followed by the softmax's.
struct RouteTokens : public torch::autograd::Function<RouteTokens>
{
    static torch::autograd::variable_list forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &logits,
                                                  const RoutingRequest &request)
    {
        const auto &options = request.options;
        auto &routing = *request.routing;
        const auto tokens = logits.size(0), experts = options.experts, topK = options.topK;
        const auto device = logits.device();
        const auto probs = torch::softmax(logits, -1);
        const auto hostProbs = onHost(probs);
        const auto hostLogits = onHost(logits);
        const auto *real = request.realTokens.data_ptr<bool>();
        auto chosen = torch::empty({tokens, topK}, torch::kLong);
        auto admitted = torch::empty({tokens, topK}, torch::kBool);
        AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, logits.scalar_type(), "sira_route", [&] {
            const auto *p = hostProbs.data_ptr<scalar_t>();
            auto *top = chosen.data_ptr<std::int64_t>();
            chooseExperts(p, tokens, experts, topK, top);
            const auto logTop = logOfFirstChoices(p, top, tokens, experts, topK);
            addFigures(p, hostLogits.data_ptr<scalar_t>(), logTop.data_ptr<double>(), real, tokens, experts, topK, top,
                       routing.figures);
        });
        // Expert dropout: a [N, k] keep mask from torch's generator
        // (reproducible per seed). After capacity (default) it acts on the
        // gate weights only and a dropped gate still holds its place in the
        // expert's queue; before capacity dropped assignments do not queue.
        GateRule rule;
        rule.renormalize = options.renormalizeGates;
        rule.scaling = options.dropoutScaling;
        torch::Tensor keep, keepFlags;
        if (request.training && options.expertDropout > 0.0) {
            rule.dropout = true;
            rule.keepScale = 1.0 / (1.0 - options.expertDropout);
            keep = onHost(torch::empty({tokens, topK}, probs.options()).bernoulli_(1.0 - options.expertDropout));
            keepFlags = keep.to(torch::kBool).contiguous();
            routing.dropoutKept = keepFlags.to(device);
        }
        const bool *queues = rule.dropout && options.dropoutBeforeCapacity ? keepFlags.data_ptr<bool>() : nullptr;
        std::vector<std::int64_t> capacities;
        admitAssignments(chosen.data_ptr<std::int64_t>(), real, queues, tokens, request.groups, options,
                         admitted.data_ptr<bool>(), routing, capacities);
        if (options.capacityFactor > 0.0)
            routing.capacity = torch::tensor(capacities, torch::kInt64).to(device);
        auto gates = torch::empty({tokens, topK}, hostProbs.options());
        auto expertGates = torch::zeros({tokens, experts}, hostProbs.options());
        AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, logits.scalar_type(), "sira_gates", [&] {
            gatesForward(hostProbs.data_ptr<scalar_t>(), chosen.data_ptr<std::int64_t>(), admitted.data_ptr<bool>(),
                         rule.dropout ? keep.data_ptr<scalar_t>() : nullptr, tokens, experts, topK, rule,
                         gates.data_ptr<scalar_t>(), expertGates.data_ptr<scalar_t>());
        });
        routing.experts = chosen.to(device);
        routing.admitted = admitted.to(device);

        // Balance loss E sum_e f_e P_e from the figures (float64); its
        // gradient dL/dp_te = E f_e / T on real tokens joins the backward.
        const auto &figures = routing.figures;
        const double realCount = std::max(figures.realTokens, 1.0);             // no real tokens: f = P = 0, loss 0
        std::vector<double> balanceGradient(static_cast<std::size_t>(experts)); // E f_e / T
        double balance = 0.0;
        for (std::size_t e = 0; e < balanceGradient.size(); ++e) {
            const double share = options.balanceFirstChoice
                                     ? figures.firstChoices[e] / realCount
                                     : figures.assignments[e] / (realCount * static_cast<double>(topK));
            balanceGradient[e] = static_cast<double>(experts) * share / realCount;
            balance += balanceGradient[e] * figures.probabilitySum[e];
        }

        // probs is an output: the node keeps an alias without autograd
        // history, so that it does not own itself.
        ctx->saved_data["probs"] = hostProbs.detach();
        ctx->saved_data["chosen"] = chosen;
        ctx->saved_data["admitted"] = admitted;
        ctx->saved_data["keep"] = keep;
        ctx->saved_data["renormalize"] = rule.renormalize;
        ctx->saved_data["dropout"] = rule.dropout;
        ctx->saved_data["scaling"] = static_cast<std::int64_t>(rule.scaling);
        ctx->saved_data["keepScale"] = rule.keepScale;
        ctx->saved_data["real"] = request.realTokens;
        ctx->saved_data["balanceGradient"] = torch::tensor(balanceGradient, torch::kFloat64);
        gates = gates.to(device);
        ctx->mark_non_differentiable({gates});
        return {probs, expertGates.to(device), gates, torch::full({}, balance, probs.options())};
    }

    // grads: dL/dprobs, dL/dexpertGates, (gates: none), dL/dbalance.
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                   torch::autograd::variable_list grads)
    {
        const auto probs = ctx->saved_data["probs"].toTensor();
        const auto chosen = ctx->saved_data["chosen"].toTensor();
        const auto admitted = ctx->saved_data["admitted"].toTensor();
        const auto keep = ctx->saved_data["keep"].toTensor();
        GateRule rule;
        rule.renormalize = ctx->saved_data["renormalize"].toBool();
        rule.dropout = ctx->saved_data["dropout"].toBool();
        rule.scaling = static_cast<SiraDropoutScaling>(ctx->saved_data["scaling"].toInt());
        rule.keepScale = ctx->saved_data["keepScale"].toDouble();
        const auto device = grads[1].device();
        const auto gradExpertGates = onHost(grads[1]);
        auto gradProbs = onHost(grads[0]).clone();
        const double gradBalance = grads[3].item<double>();
        const auto real = ctx->saved_data["real"].toTensor();
        const auto balanceGradient = ctx->saved_data["balanceGradient"].toTensor();
        AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, probs.scalar_type(), "sira_gates_backward", [&] {
            gatesBackward(probs.data_ptr<scalar_t>(), chosen.data_ptr<std::int64_t>(), admitted.data_ptr<bool>(),
                          rule.dropout ? keep.data_ptr<scalar_t>() : nullptr, probs.size(0), probs.size(1),
                          chosen.size(1), rule, gradExpertGates.data_ptr<scalar_t>(), gradProbs.data_ptr<scalar_t>());
            if (gradBalance != 0.0)
                addBalanceGradient(gradBalance, balanceGradient.data_ptr<double>(), real.data_ptr<bool>(),
                                   probs.size(0), probs.size(1), gradProbs.data_ptr<scalar_t>());
        });
        const auto gradLogits = torch::_softmax_backward_data(gradProbs, probs, 1, probs.scalar_type());
        return {gradLogits.to(device), torch::Tensor()};
    }
};

} // namespace

SiraRouting routeTokens(const torch::Tensor &logits, const torch::Tensor &realTokens, std::int64_t groups,
                        const SiraRoutingOptions &options, bool training)
{
    TORCH_CHECK(logits.dim() == 2 && logits.size(1) == options.experts, "router logits must be [N, experts]");
    TORCH_CHECK(groups >= 1 && logits.size(0) % groups == 0, "tokens must split into equal routing groups");
    TORCH_CHECK(options.topK >= 1 && options.topK <= options.experts, "top_k must be in [1, experts]");
    SiraRouting routing;
    routing.logits = logits;
    routing.realTokens = realTokens;
    if (resolvedRoutingPath(options, logits.device()) == SiraRoutingPath::Tensor) {
        routeTokensByTensorOps(logits, realTokens.to(logits.device(), torch::kBool), groups, options, training,
                               routing);
        return routing;
    }
    routing.figures.assignments.assign(static_cast<std::size_t>(options.experts), 0.0);
    routing.figures.probabilitySum.assign(static_cast<std::size_t>(options.experts), 0.0);
    routing.figures.firstChoices.assign(static_cast<std::size_t>(options.experts), 0.0);
    RoutingRequest request{onHost(realTokens.to(torch::kBool)), groups, options, training, &routing};
    const auto outputs = RouteTokens::apply(logits, request);
    routing.probs = outputs[0];
    routing.expertGates = outputs[1];
    routing.gates = outputs[2];
    routing.balanceLoss = outputs[3];
    return routing;
}

SiraRoutingPath resolvedRoutingPath(const SiraRoutingOptions &options, const c10::Device &device)
{
    if (options.path != SiraRoutingPath::Auto)
        return options.path;
    return device.is_cpu() ? SiraRoutingPath::Host : SiraRoutingPath::Tensor;
}

SiraRoutingFigures routingFigures(const SiraRouting &routing)
{
    if (routing.figureTensor.defined())
        return unpackRoutingFigures(routing.figureTensor, routing.logits.size(1));
    return routing.figures;
}

torch::Tensor loadBalancingLoss(const SiraRouting &routing)
{
    return routing.balanceLoss;
}

torch::Tensor routerZLoss(const SiraRouting &routing)
{
    const auto real = routing.realTokens.to(routing.logits.dtype());
    const auto tokens = real.sum().clamp_min(1.0);
    return (routing.logits.logsumexp(-1).pow(2) * real).sum() / tokens;
}

} // namespace lwb
