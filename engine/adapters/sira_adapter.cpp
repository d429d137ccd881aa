// See sira_adapter.h.
#include "engine/adapters/sira_adapter.h"

#include "engine/adapters/adapter_dropout.h"
#include "engine/adapters/sira_mixture.h"
#include "engine/adapters/sira_routing_ops.h"

#include <torch/nn/functional/linear.h>
#include <torch/nn/init.h>

#include <cmath>

namespace lwb {

SiraAdapterImpl::SiraAdapterImpl(std::int64_t inFeatures, std::int64_t outFeatures, const LoraOptions &lora,
                                 const SiraConfig &sira)
    : config_(sira)
    , scale_(lora.scale())
    , dropoutP_(lora.dropout)
{
    routingOptions_.experts = sira.experts;
    routingOptions_.topK = sira.topK;
    routingOptions_.capacityFactor = sira.capacityFactor;
    routingOptions_.renormalizeGates = sira.renormalizeGates;
    routingOptions_.expertDropout = sira.expertDropout;
    routingOptions_.dropoutScaling = sira.expertDropoutScaling == "renormalize" ? SiraDropoutScaling::Renormalize
                                     : sira.expertDropoutScaling == "none"      ? SiraDropoutScaling::None
                                                                                : SiraDropoutScaling::Inverted;
    routingOptions_.dropoutBeforeCapacity = sira.expertDropoutStage == "before_capacity";
    routingOptions_.balanceFirstChoice = sira.balanceCounting == "first_choice";
    routingOptions_.path = sira.routingPath == "host"     ? SiraRoutingPath::Host
                           : sira.routingPath == "tensor" ? SiraRoutingPath::Tensor
                                                          : SiraRoutingPath::Auto;

    router = register_parameter("router", torch::empty({sira.experts, inFeatures}));
    loraA = register_parameter("lora_A", torch::empty({sira.experts, lora.rank, inFeatures}));
    loraB = register_parameter("lora_B", torch::zeros({sira.experts, outFeatures, lora.rank}));
    {
        torch::NoGradGuard noGrad;
        router.normal_(0.0, 0.02);
        for (std::int64_t e = 0; e < sira.experts; ++e) {
            auto expertA = loraA[e]; // [r, in]: fan-in is in, as for a LoRA's A
            torch::nn::init::kaiming_uniform_(expertA, std::sqrt(5.0));
        }
    }
}

void SiraAdapterImpl::beginForward(const ForwardContext &context)
{
    tokenMask_ = context.tokenMask;
    sequenceTasks_ = context.sequenceTasks;
}

torch::Tensor SiraAdapterImpl::delta(const torch::Tensor &x)
{
    const auto inFeatures = x.size(-1);
    const auto flat = x.reshape({-1, inFeatures});
    const auto tokens = flat.size(0);
    // The mask of the current model forward, when it describes this input.
    const bool masked = tokenMask_.defined() && tokenMask_.numel() == tokens;
    const auto real = masked ? tokenMask_.reshape({-1}).to(torch::kBool)
                             : torch::ones({tokens}, flat.options().dtype(torch::kBool));
    const std::int64_t groups = config_.capacityGroup == "sequence" && x.dim() == 3 ? x.size(0) : 1;

    auto routerInput = flat;
    if (is_training() && config_.routerJitter > 0.0)
        routerInput = flat * torch::empty_like(flat).uniform_(1.0 - config_.routerJitter, 1.0 + config_.routerJitter);
    auto options = routingOptions_;
    options.capacityFactor = config_.capacityFactorFor(is_training());
    routing_ = routeTokens(torch::nn::functional::linear(routerInput, router), real, groups, options, is_training());

    auxLoss_ = layerAuxLoss_ = torch::Tensor();
    if (is_training()) {
        if (config_.auxLossCoef > 0.0)
            layerAuxLoss_ = config_.auxLossCoef * loadBalancingLoss(routing_);
        if (config_.zLossCoef > 0.0) {
            const auto z = config_.zLossCoef * routerZLoss(routing_);
            layerAuxLoss_ = layerAuxLoss_.defined() ? layerAuxLoss_ + z : z;
        }
        // The trainer adds the mean of the layers' auxLoss(); "sum" undoes
        // that mean, so the objective holds coef * sum over the layers.
        if (layerAuxLoss_.defined())
            auxLoss_ = config_.balanceReduction == "sum" ? layerAuxLoss_ * static_cast<double>(balanceLayers_)
                                                         : layerAuxLoss_;
        accumulateStats();
    } else if (sequenceTasks_.defined() && x.dim() == 3 && sequenceTasks_.numel() == x.size(0)) {
        accumulateTaskRouting(x.size(0));
    }

    const auto input = adapterDropout(flat, dropoutP_, is_training());
    auto out = mixExperts(input, routing_);
    auto shape = x.sizes().vec();
    shape.back() = out.size(-1);
    return out.reshape(shape);
}

torch::Tensor SiraAdapterImpl::mixExperts(const torch::Tensor &x, const SiraRouting &routing)
{
    if (!routedExpertsSupported(x))
        return mixLoraExperts(x, loraA, loraB, routing.expertGates, scale_);
    // An assignment contributes when it is within capacity and survived
    // expert dropout.
    const auto active = routing.dropoutKept.defined() ? routing.admitted & routing.dropoutKept : routing.admitted;
    return mixRoutedExperts(x, loraA, loraB, routing.expertGates, routing.experts, active, scale_);
}

void SiraAdapterImpl::accumulateStats()
{
    const auto &figures = routing_.figures;
    if (forwards_ == 0) {
        totals_ = SiraRoutingFigures();
        totals_.assignments.assign(static_cast<std::size_t>(config_.experts), 0.0);
        totals_.firstChoices = totals_.probabilitySum = totals_.assignments;
        deviceTotals_ = auxLossSum_ = torch::Tensor();
    }
    if (routing_.figureTensor.defined()) { // tensor path: stays on its device until takeStats
        deviceTotals_ = deviceTotals_.defined() ? deviceTotals_ + routing_.figureTensor : routing_.figureTensor;
    } else {
        for (std::size_t e = 0; e < figures.assignments.size(); ++e) {
            totals_.assignments[e] += figures.assignments[e];
            totals_.firstChoices[e] += figures.firstChoices[e];
            totals_.probabilitySum[e] += figures.probabilitySum[e];
        }
        totals_.entropySum += figures.entropySum;
        totals_.realTokens += figures.realTokens;
        totals_.droppedAssignments += figures.droppedAssignments;
    }
    // The layer's own aux term stays a tensor (on the device) until
    // takeStats reads it.
    if (layerAuxLoss_.defined()) {
        const auto aux = layerAuxLoss_.detach().to(torch::kFloat64);
        auxLossSum_ = auxLossSum_.defined() ? auxLossSum_ + aux : aux;
    }
    ++forwards_;
}

void SiraAdapterImpl::accumulateTaskRouting(std::int64_t batch)
{
    torch::NoGradGuard noGrad;
    const auto &r = routing_;
    const auto tokensPerSequence = r.experts.size(0) / batch;
    const auto tasks = sequenceTasks_.to(r.experts.device()).repeat_interleave(tokensPerSequence); // [N]
    const auto labelled = r.realTokens & (tasks >= 0);
    // Counts by scatter-add, not one_hot (which reads its input back to check
    // it: a device wait per layer on a GPU); the task count from the host list.
    const auto assigned
        = torch::zeros({r.experts.size(0), config_.experts}, r.experts.options().dtype(torch::kFloat64))
              .scatter_add_(1, r.experts, torch::ones(r.experts.sizes(), r.experts.options().dtype(torch::kFloat64)))
          * labelled.unsqueeze(1).to(torch::kFloat64); // [N, E]
    const auto taskCount = std::max<std::int64_t>(sequenceTasks_.max().item<std::int64_t>() + 1, 1);
    if (!taskRouting_.defined() || taskRouting_.size(0) < taskCount) {
        auto grown = torch::zeros({taskCount, config_.experts}, assigned.options());
        if (taskRouting_.defined())
            grown.narrow(0, 0, taskRouting_.size(0)).copy_(taskRouting_);
        taskRouting_ = grown;
    }
    taskRouting_.index_add_(0, tasks.clamp_min(0), assigned);
}

torch::Tensor SiraAdapterImpl::takeTaskRouting()
{
    auto routing = taskRouting_.defined() ? taskRouting_ : torch::zeros({0, config_.experts}, torch::kFloat64);
    taskRouting_ = torch::Tensor();
    return routing;
}

void SiraAdapterImpl::takeStats(const std::string &layerName, AdapterStats &stats)
{
    if (forwards_ == 0)
        return;
    if (deviceTotals_.defined()) { // one read per step and layer
        const auto device = unpackRoutingFigures(deviceTotals_, config_.experts);
        for (std::size_t e = 0; e < device.assignments.size(); ++e) {
            totals_.assignments[e] += device.assignments[e];
            totals_.firstChoices[e] += device.firstChoices[e];
            totals_.probabilitySum[e] += device.probabilitySum[e];
        }
        totals_.entropySum += device.entropySum;
        totals_.realTokens += device.realTokens;
        totals_.droppedAssignments += device.droppedAssignments;
        deviceTotals_ = torch::Tensor();
    }
    LayerRoutingStats layer;
    layer.layer = layerName;
    double routed = 0.0;
    for (double count : totals_.assignments)
        routed += count;
    const double tokens = std::max(totals_.realTokens, 1.0);
    for (std::size_t e = 0; e < totals_.assignments.size(); ++e) {
        layer.expertLoad.push_back(static_cast<float>(totals_.assignments[e] / std::max(routed, 1.0)));
        const double meanProb = totals_.probabilitySum[e] / tokens;
        layer.meanRoutingEntropy -= meanProb * std::log(std::max(meanProb, 1e-300));
    }
    layer.routingEntropy = totals_.entropySum / tokens;
    layer.routedTokens = static_cast<std::int64_t>(routed);
    layer.droppedTokens = static_cast<std::int64_t>(totals_.droppedAssignments);
    layer.auxLoss = auxLossSum_.defined() ? auxLossSum_.item<double>() / static_cast<double>(forwards_) : 0.0;
    stats.layers.push_back(std::move(layer));
    forwards_ = 0;
}

} // namespace lwb
