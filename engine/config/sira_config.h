// SiraConfig: the hyperparameters of SiRA's sparse mixture of LoRA experts,
// the JSON object "adapter.sira" (read only when adapter.variant is "sira").
// Every choice the method leaves open is an option here, with its default
// named; engine/adapters/README.md ("SiRA as implemented") explains each and
// says which reading of the paper a default follows.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace lwb {

class JsonReader;

struct SiraConfig
{
    std::int64_t experts = 8;            // E, LoRA experts per adapted layer (rank = adapter.r each)
    std::int64_t topK = 2;               // k, experts each token uses
    double capacityFactor = 1.25;        // C = ceil(factor * k * T / E); 0 = no capacity limit
    double evalCapacityFactor = -1.0;    // the same in evaluation; -1 = capacity_factor (Switch uses a larger one)
    std::string capacityGroup = "batch"; // "batch" or "sequence": the tokens T counts and admits in order
    bool renormalizeGates = true;        // top-k probabilities rescaled to sum to 1
    double expertDropout = 0.1;          // training only: each kept gate zeroed with this probability
    // How the surviving gates are scaled: "inverted" (a dropout layer on the
    // gate values: g / (1 - p)), "renormalize" (to the gates' sum before
    // dropout) or "none" (left as they are).
    std::string expertDropoutScaling = "inverted";
    // "after_capacity": a dropped gate keeps its place in the expert's queue;
    // "before_capacity": dropped assignments never queue, later tokens take their places.
    std::string expertDropoutStage = "after_capacity";
    double auxLossCoef = 0.01;             // load-balancing loss weight; 0 = off
    std::string balanceReduction = "mean"; // "mean" or "sum" of the layers' balance (and z) losses
    std::string balanceCounting = "top_k"; // f_e counts "top_k" assignments or each token's "first_choice"
    double zLossCoef = 0.0;                // router z-loss weight (mean logsumexp^2); 0 = off
    double routerJitter = 0.0;             // training only: router input times U(1 - j, 1 + j); 0 = off
    // Which implementation routes (the same decisions): "auto" (host loops on
    // the CPU, tensor ops on other devices), "host" or "tensor"
    // (engine/adapters/sira_routing.h).
    std::string routingPath = "auto";

    // The capacity factor a forward uses (training or evaluation).
    double capacityFactorFor(bool training) const
    {
        return training || evalCapacityFactor < 0.0 ? capacityFactor : evalCapacityFactor;
    }
};

// Reads "adapter.sira"; the reader records problems with their JSON paths.
void parseSiraConfig(JsonReader in, SiraConfig &sira);

nlohmann::json toJson(const SiraConfig &sira);

} // namespace lwb
