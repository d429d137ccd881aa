// SiraConfig: the hyperparameters of SiRA's sparse mixture of LoRA experts,
// the JSON object "adapter.sira" (read only when adapter.variant is "sira").
// Every choice the method leaves open is an option here, with its default
// named; engine/adapters/README.md ("SiRA as implemented") explains each.
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
    std::string capacityGroup = "batch"; // "batch" or "sequence": the tokens T counts and admits in order
    bool renormalizeGates = true;        // top-k probabilities rescaled to sum to 1
    double expertDropout = 0.1;          // training only: each kept gate zeroed with this probability
    bool renormalizeAfterDropout = true; // surviving gates rescaled to the mass before dropout
    double auxLossCoef = 0.01;           // load-balancing loss weight (mean over layers); 0 = off
    double zLossCoef = 0.0;              // router z-loss weight (mean logsumexp^2); 0 = off
    double routerJitter = 0.0;           // training only: router input times U(1 - j, 1 + j); 0 = off
};

// Reads "adapter.sira"; the reader records problems with their JSON paths.
void parseSiraConfig(JsonReader in, SiraConfig &sira);

nlohmann::json toJson(const SiraConfig &sira);

} // namespace lwb
