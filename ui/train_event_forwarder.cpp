// See train_event_forwarder.h.
#include "ui/train_event_forwarder.h"

namespace lwb::ui {

TrainEventForwarder::TrainEventForwarder(QObject *parent)
    : QObject(parent)
{
}

void TrainEventForwarder::onRunStarted(const lwb::RunInfo &info)
{
    Q_EMIT runStarted(info);
}

void TrainEventForwarder::onStep(const lwb::StepMetrics &metrics)
{
    pending_.push_back(metrics);
    const auto now = std::chrono::steady_clock::now();
    if (now - lastEmit_ >= kCoalesceInterval) {
        flush();
        lastEmit_ = now;
    }
}

void TrainEventForwarder::onEval(const lwb::EvalMetrics &metrics)
{
    flush();
    Q_EMIT evaluated(metrics);
}

void TrainEventForwarder::onCheckpoint(std::int64_t step, const std::string &path)
{
    flush();
    Q_EMIT checkpointWritten(step, QString::fromStdString(path));
}

void TrainEventForwarder::onRunFinished(lwb::RunOutcome outcome, const std::string &message)
{
    flush();
    finishMessage_ = QString::fromStdString(message);
}

void TrainEventForwarder::flush()
{
    if (pending_.isEmpty())
        return;
    StepBatch batch;
    batch.swap(pending_);
    Q_EMIT stepsReady(batch);
}

} // namespace lwb::ui
