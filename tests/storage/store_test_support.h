// Helpers shared by the storage suites: metrics to record, file checksums,
// and a second connection to look at a store from outside.
#pragma once

#include "storage/run_records.h"
#include "storage/sha256.h"

#include "engine/train/step_metrics.h"
#include "engine/train/train_observer.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
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

// The recorder's committed flushes as its writer thread reports them
// (RecorderOptions::onFlushed), for tests that must wait for one: they wait
// on the report itself, with no sleep and no deadline of their own (a flush
// that never comes hangs the test until CTest's timeout names it).
class FlushWatch
{
public:
    std::function<void(std::int64_t)> callback()
    {
        return [this](std::int64_t lastStep) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (firstStep_ == 0)
                firstStep_ = lastStep;
            lastStep_ = std::max(lastStep_, lastStep);
            changed_.notify_all();
        };
    }

    // Blocks until a flush has written step `step` or a later one.
    void waitForStep(std::int64_t step)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return lastStep_ >= step; });
    }

    // The last step of the first flush that wrote steps (0: none yet).
    std::int64_t firstStep() const
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return firstStep_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::int64_t firstStep_ = 0;
    std::int64_t lastStep_ = 0;
};

} // namespace lwb::storage::test
