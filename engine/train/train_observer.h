// TrainObserver: how the rest of the program watches a run.
//
// The Trainer calls these from its own thread, in order: onRunStarted, then
// onStep / onEval / onCheckpoint as they happen, then onRunFinished exactly
// once. Implementations must not block for long (the RunRecorder queues to a
// writer thread; the GUI forwarder emits a queued signal). No torch here:
// storage/ implements this interface without linking torch.
#pragma once

#include "engine/eval/eval_progress.h"
#include "engine/train/step_metrics.h"

#include <cstdint>
#include <string>

namespace lwb {

enum class RunOutcome { Finished, Cancelled, Failed };

inline const char *toString(RunOutcome outcome)
{
    switch (outcome) {
    case RunOutcome::Finished:
        return "finished";
    case RunOutcome::Cancelled:
        return "cancelled";
    case RunOutcome::Failed:
        return "failed";
    }
    return "failed";
}

struct RunInfo
{
    std::string name;
    std::string variant;    // "lora", "sira", ...
    std::string configJson; // the validated, complete config (defaults filled in)
    std::string device;     // "cpu", "cuda:0"
    std::uint64_t seed = 0;
    std::int64_t totalSteps = 0;
    std::int64_t startStep = 0;        // > 0 when resumed from a checkpoint
    std::int64_t skippedDataLines = 0; // bad JSONL lines skipped (data.skip_bad_lines)
    std::int64_t trainableParameters = 0;
    std::int64_t totalParameters = 0;
};

class TrainObserver
{
public:
    virtual ~TrainObserver() = default;

    virtual void onRunStarted(const RunInfo &info) { }
    virtual void onStep(const StepMetrics &metrics) { }
    virtual void onEval(const EvalMetrics &metrics) { }
    // Before and after every batch of an evaluation (eval_progress.h).
    virtual void onEvalProgress(const EvalProgress &progress) { }
    virtual void onCheckpoint(std::int64_t step, const std::string &path) { }
    virtual void onRunFinished(RunOutcome outcome, const std::string &message) { }
};

} // namespace lwb
