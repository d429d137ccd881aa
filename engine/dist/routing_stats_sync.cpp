// See routing_stats_sync.h.
#include "engine/dist/routing_stats_sync.h"

#include "engine/core/error.h"

#include <torch/torch.h>

namespace lwb {

void mergeRoutingStats(AdapterStats &stats, Communicator &communicator)
{
    if (!communicator.distributed() || stats.layers.empty())
        return;
    // Per layer: routed, dropped, weighted entropies, aux loss, weighted loads.
    std::vector<double> packed;
    for (const auto &layer : stats.layers) {
        const auto weight = static_cast<double>(layer.routedTokens);
        packed.push_back(weight);
        packed.push_back(static_cast<double>(layer.droppedTokens));
        packed.push_back(layer.routingEntropy * weight);
        packed.push_back(layer.meanRoutingEntropy * weight);
        packed.push_back(layer.auxLoss);
        for (const auto load : layer.expertLoad)
            packed.push_back(static_cast<double>(load) * weight);
    }
    auto sums = torch::tensor(packed, torch::kFloat64);
    communicator.sumInPlace(sums, "the routing statistics");
    const auto *sum = sums.data_ptr<double>();
    const double ranks = communicator.worldSize();
    for (auto &layer : stats.layers) {
        const double weight = *sum++;
        const auto share = [weight](double value) { return weight > 0.0 ? value / weight : 0.0; };
        layer.routedTokens = static_cast<std::int64_t>(weight);
        layer.droppedTokens = static_cast<std::int64_t>(*sum++);
        layer.routingEntropy = share(*sum++);
        layer.meanRoutingEntropy = share(*sum++);
        layer.auxLoss = *sum++ / ranks;
        for (auto &load : layer.expertLoad)
            load = static_cast<float>(share(*sum++));
    }
}

} // namespace lwb
