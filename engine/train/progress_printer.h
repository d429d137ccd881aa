// ProgressPrinter: the CLI's live view of a run, as a TrainObserver.
//
// On a terminal it redraws one line (step/total, loss, lr, tokens/s, ETA)
// at most ten times a second; into a pipe or file it prints a plain line
// every `every` steps, so logs stay readable. Evaluations, checkpoints and
// the end of the run get lines of their own; a running evaluation shows its
// progress and ETA through an EvalProgressPrinter (engine/eval).
#pragma once

#include "engine/eval/eval_progress_printer.h"
#include "engine/train/train_observer.h"

#include <ostream>

namespace lwb {

class ProgressPrinter : public TrainObserver
{
public:
    ProgressPrinter(std::ostream &out, bool interactive, std::int64_t every = 10);

    void onRunStarted(const RunInfo &info) override;
    void onStep(const StepMetrics &metrics) override;
    void onEval(const EvalMetrics &metrics) override;
    void onEvalProgress(const EvalProgress &progress) override;
    void onCheckpoint(std::int64_t step, const std::string &path) override;
    void onRunFinished(RunOutcome outcome, const std::string &message) override;

private:
    void endLine();

    std::ostream &out_;
    bool interactive_;
    std::int64_t every_;
    bool lineOpen_ = false;
    double lastDraw_ = -1.0;
    std::int64_t startStep_ = 0;
    EvalProgressPrinter evalPrinter_;
};

// "1:05" or "1:02:03".
std::string formatDuration(double seconds);

} // namespace lwb
