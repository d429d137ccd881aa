// TrainEventForwarder: the TrainObserver that turns a run's events into Qt
// signals carrying plain values (StepMetrics, EvalMetrics, RunInfo).
//
// It lives on the job's thread and is called by the Trainer there; receivers
// on the GUI thread get the signals queued. Steps are coalesced: onStep only
// appends to a pending batch, which is emitted when kCoalesceInterval has
// passed since the last emission (a slow step is emitted at once, a burst of
// fast ones as one batch), and always before an evaluation, a checkpoint or
// the end, so the order of events is kept. No timer is needed: the job's
// thread is busy in Trainer::run and has no event loop to run one.
#pragma once

#include "ui/engine_metatypes.h"

#include <QObject>
#include <QString>

#include <chrono>

namespace lwb::ui {

class TrainEventForwarder : public QObject, public lwb::TrainObserver
{
    Q_OBJECT

public:
    static constexpr std::chrono::milliseconds kCoalesceInterval{25};

    explicit TrainEventForwarder(QObject *parent = nullptr);

    void onRunStarted(const lwb::RunInfo &info) override;
    void onStep(const lwb::StepMetrics &metrics) override;
    void onEval(const lwb::EvalMetrics &metrics) override;
    void onCheckpoint(std::int64_t step, const std::string &path) override;
    void onRunFinished(lwb::RunOutcome outcome, const std::string &message) override;

    // Emits the pending steps now (the worker calls it when run() returns).
    void flush();
    // The message of onRunFinished ("stopped at step 12"), empty before it.
    const QString &finishMessage() const { return finishMessage_; }

Q_SIGNALS:
    void runStarted(const lwb::RunInfo &info);
    void stepsReady(const lwb::ui::StepBatch &steps);
    void evaluated(const lwb::EvalMetrics &metrics);
    void checkpointWritten(qint64 step, const QString &path);

private:
    StepBatch pending_;
    std::chrono::steady_clock::time_point lastEmit_{};
    QString finishMessage_;
};

} // namespace lwb::ui
