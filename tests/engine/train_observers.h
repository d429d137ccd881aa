// Observers shared by the training suites: one that stops the trainer at a
// step (a Ctrl-C at a known place) and one that keeps everything the
// observer interface delivered.
#pragma once

#include "engine/train/train_observer.h"
#include "engine/train/trainer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lwb::test {

class StopAt : public lwb::TrainObserver
{
public:
    StopAt(lwb::Trainer &trainer, std::int64_t stopAt)
        : trainer_(trainer)
        , stopAt_(stopAt)
    {
    }
    void onStep(const lwb::StepMetrics &m) override
    {
        if (m.step == stopAt_)
            trainer_.requestStop();
    }

private:
    lwb::Trainer &trainer_;
    std::int64_t stopAt_;
};

class Collect : public lwb::TrainObserver
{
public:
    void onRunStarted(const lwb::RunInfo &info) override { started = info; }
    void onStep(const lwb::StepMetrics &m) override { steps.push_back(m); }
    void onEval(const lwb::EvalMetrics &m) override { evals.push_back(m); }
    void onCheckpoint(std::int64_t, const std::string &path) override { checkpoints.push_back(path); }
    void onRunFinished(lwb::RunOutcome o, const std::string &message) override
    {
        outcome = o;
        finished++;
        finalMessage = message;
    }

    lwb::RunInfo started;
    std::vector<lwb::StepMetrics> steps;
    std::vector<lwb::EvalMetrics> evals;
    std::vector<std::string> checkpoints;
    lwb::RunOutcome outcome = lwb::RunOutcome::Failed;
    int finished = 0;
    std::string finalMessage;
};

} // namespace lwb::test
