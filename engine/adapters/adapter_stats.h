// AdapterStats: what the adapters saw during one optimiser step.
//
// Plain values, no torch: the storage layer and the GUI receive them inside
// StepMetrics. Mixture adapters (SiRA, DLP-LoRA) fill one LayerRoutingStats per
// adapted layer; plain LoRA leaves the list empty.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lwb {

struct LayerRoutingStats
{
    std::string layer;               // module path, e.g. "model.layers.3.self_attn.q_proj"
    std::vector<float> expertLoad;   // share of routed assignments per expert (sums to 1)
    double routingEntropy = 0.0;     // mean per-token entropy of the router distribution (nats)
    double meanRoutingEntropy = 0.0; // entropy of the mean router distribution over tokens (nats)
    double auxLoss = 0.0;            // this layer's weighted auxiliary loss, mean over micro-batches
    std::int64_t routedTokens = 0;   // token-expert assignments asked for
    std::int64_t droppedTokens = 0;  // assignments dropped by the capacity limit
};

struct AdapterStats
{
    std::vector<LayerRoutingStats> layers;
    double auxLoss = 0.0; // auxiliary loss added to the objective (0 for plain LoRA)
};

} // namespace lwb
