// See guarded_recorder.h.
#include "ui/guarded_recorder.h"

#include "storage/run_recorder.h"

#include <exception>

namespace lwb::ui {

GuardedRecorder::GuardedRecorder(const std::string &databasePath, std::int64_t parentRunId)
{
    if (databasePath.empty())
        return;
    try {
        lwb::storage::RecorderOptions options;
        options.parentRunId = parentRunId;
        options.stopTrainingOnWriteError = false; // the GUI's rule: train anyway, report error()
        recorder_ = std::make_unique<lwb::storage::RunRecorder>(databasePath, options);
    } catch (const std::exception &error) {
        giveUp("cannot open the run store", error);
    }
}

GuardedRecorder::~GuardedRecorder() = default;

void GuardedRecorder::giveUp(const std::string &what, const std::exception &error)
{
    if (!error_)
        error_ = what + ": " + error.what();
    recorder_.reset();
}

void GuardedRecorder::onRunStarted(const lwb::RunInfo &info)
{
    if (!recorder_)
        return;
    try {
        recorder_->onRunStarted(info);
        runId_ = recorder_->runId();
    } catch (const std::exception &error) {
        giveUp("cannot record the run", error);
    }
}

// The recorder's per-step calls only queue in memory and do not throw; the
// guard is there for the ones that touch the database (start and finish).
void GuardedRecorder::onStep(const lwb::StepMetrics &metrics)
{
    if (recorder_)
        recorder_->onStep(metrics);
}

void GuardedRecorder::onEval(const lwb::EvalMetrics &metrics)
{
    if (recorder_)
        recorder_->onEval(metrics);
}

void GuardedRecorder::onCheckpoint(std::int64_t step, const std::string &path)
{
    if (recorder_)
        recorder_->onCheckpoint(step, path);
}

void GuardedRecorder::onRunFinished(lwb::RunOutcome outcome, const std::string &message)
{
    if (!recorder_)
        return;
    try {
        recorder_->onRunFinished(outcome, message);
        if (!error_) {
            if (auto writerError = recorder_->error())
                error_ = "recording stopped: " + *writerError;
        }
    } catch (const std::exception &error) {
        giveUp("cannot record the end of the run", error);
    }
}

std::optional<std::string> GuardedRecorder::error() const
{
    return error_;
}

} // namespace lwb::ui
