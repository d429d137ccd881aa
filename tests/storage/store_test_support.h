// Helpers shared by the storage suites: metrics to record, file checksums,
// and a second connection to look at a store from outside.
#pragma once

#include "storage/run_records.h"
#include "storage/sha256.h"

#include "engine/train/step_metrics.h"
#include "engine/train/train_observer.h"

#include <cmath>
#include <filesystem>
#include <string>

namespace lwb::storage::test {

// Deterministic metrics for step `step`; `layers` routed layers of 4 experts.
inline StepMetrics makeStep(std::int64_t step, int layers = 0)
{
    StepMetrics metrics;
    metrics.step = step;
    metrics.totalSteps = 1000;
    metrics.tokens = step * 512;
    metrics.loss = 3.0 / (1.0 + 0.01 * static_cast<double>(step));
    metrics.learningRate = 1e-3;
    metrics.gradNorm = 0.5 + 0.001 * static_cast<double>(step);
    metrics.tokensPerSecond = 10000.0 + static_cast<double>(step);
    metrics.wallSeconds = 0.1 * static_cast<double>(step);
    for (int i = 0; i < layers; ++i) {
        LayerRoutingStats layer;
        layer.layer = "model.layers." + std::to_string(i) + ".mlp.down_proj";
        layer.expertLoad = {0.1f * float(i + 1), 0.2f, 0.3f, 0.7f - 0.1f * float(i + 1)};
        layer.routingEntropy = 1.0 + 0.1 * i;
        layer.routedTokens = 1000;
        layer.droppedTokens = 10 * i;
        metrics.adapter.layers.push_back(layer);
    }
    if (layers > 0)
        metrics.adapter.auxLoss = 0.01;
    return metrics;
}

inline RunInfo makeRunInfo(const std::string &name, const std::string &variant = "lora", int rank = 8)
{
    RunInfo info;
    info.name = name;
    info.variant = variant;
    info.configJson = R"({"adapter": {"kind": ")" + variant + R"(", "rank": )" + std::to_string(rank)
        + R"(}, "optimizer": {"lr": 0.001}, "seed": 7})";
    info.device = "cpu";
    info.seed = 7;
    info.totalSteps = 1000;
    info.trainableParameters = 1234;
    info.totalParameters = 99999;
    return info;
}

inline NewRun namedRun(const std::string &name)
{
    NewRun run;
    run.name = name;
    return run;
}

inline EvalMetrics makeEval(std::int64_t step, double loss, std::map<std::string, double> exactMatch = {})
{
    EvalMetrics metrics;
    metrics.step = step;
    metrics.loss = loss;
    metrics.perplexity = std::exp(loss);
    metrics.tokens = 100;
    metrics.exactMatchByTask = std::move(exactMatch);
    return metrics;
}

// SHA-256 of the file, or "" when it does not exist.
inline std::string fileChecksum(const std::string &path)
{
    if (!std::filesystem::exists(path))
        return {};
    return sha256File(path).sha256;
}

} // namespace lwb::storage::test
