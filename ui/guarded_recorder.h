// GuardedRecorder: the run store's RunRecorder behind a fence, so that a
// storage problem never stops training.
//
// The GUI's rule is "record if you can, train anyway": a database that cannot
// be opened, or a run row that cannot be created when the run starts, turns
// into a message (error()) and the recorder steps aside; the Trainer never
// sees the exception. Errors the recorder's writer thread meets later are
// collected the same way (RunRecorder::error()). Runs on the job's thread.
#pragma once

#include "engine/train/train_observer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace lwb::storage {
class RunRecorder;
}

namespace lwb::ui {

class GuardedRecorder : public lwb::TrainObserver
{
public:
    // Opens the store at databasePath; an empty path records nothing.
    // parentRunId: the run this one is part of (a study's training), 0 for none.
    explicit GuardedRecorder(const std::string &databasePath, std::int64_t parentRunId = 0);
    ~GuardedRecorder() override;
    GuardedRecorder(const GuardedRecorder &) = delete;
    GuardedRecorder &operator=(const GuardedRecorder &) = delete;

    void onRunStarted(const lwb::RunInfo &info) override;
    void onStep(const lwb::StepMetrics &metrics) override;
    void onEval(const lwb::EvalMetrics &metrics) override;
    void onCheckpoint(std::int64_t step, const std::string &path) override;
    void onRunFinished(lwb::RunOutcome outcome, const std::string &message) override;

    bool isRecording() const { return recorder_ != nullptr; }
    std::int64_t runId() const { return runId_; } // 0 until the run row exists
    // The first storage problem met, if any ("cannot open ...: reason").
    std::optional<std::string> error() const;

private:
    void giveUp(const std::string &what, const std::exception &error);

    std::unique_ptr<lwb::storage::RunRecorder> recorder_;
    std::optional<std::string> error_;
    std::int64_t runId_ = 0;
};

} // namespace lwb::ui
