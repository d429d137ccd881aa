// See train_worker.h. The only GUI-side file that includes the Trainer (and so
// LibTorch); everything it sends out is a plain value.
#include "ui/train_worker.h"

#include "engine/adapters/variant_traits.h"
#include "engine/dlp/dlp_study.h"
#include "engine/train/trainer.h"
#include "ui/guarded_recorder.h"
#include "ui/train_event_forwarder.h"

#include <exception>

namespace lwb::ui {

TrainWorker::TrainWorker(lwb::RunConfig config, std::string databasePath, QObject *parent)
    : QObject(parent)
    , config_(std::move(config))
    , databasePath_(std::move(databasePath))
{
}

TrainWorker::~TrainWorker() = default;

void TrainWorker::requestStop()
{
    std::lock_guard<std::mutex> lock(trainerMutex_);
    stopRequested_ = true;
    if (trainer_)
        trainer_->requestStop();
    if (study_)
        study_->requestStop();
    pauseGate_.release();
}

void TrainWorker::setPaused(bool paused)
{
    pauseGate_.setPaused(paused);
}

void TrainWorker::run()
{
    JobEnd end;
    try {
        end = lwb::isStudyVariant(config_.adapter.variant) ? runStudy() : runTraining();
    } catch (const std::exception &error) {
        // Building the job or its observers failed: nothing ran.
        end = {lwb::RunOutcome::Failed, QString::fromStdString(error.what())};
    } catch (...) {
        end = {lwb::RunOutcome::Failed, tr("unknown error")};
    }
    Q_EMIT finished(end.outcome, end.message);
}

void TrainWorker::forwardStartAndEvaluations(TrainEventForwarder &forwarder, const GuardedRecorder &recorder,
                                             bool &problemReported)
{
    connect(&forwarder, &TrainEventForwarder::runStarted, this,
            [this, &recorder, &problemReported](const lwb::RunInfo &info) {
                reportRecordingProblem(recorder, problemReported);
                Q_EMIT runStarted(info, recorder.runId());
            },
            Qt::DirectConnection);
    connect(&forwarder, &TrainEventForwarder::evaluated, this, &TrainWorker::evaluated, Qt::DirectConnection);
}

void TrainWorker::reportRecordingProblem(const GuardedRecorder &recorder, bool &reported)
{
    if (auto problem = recorder.error(); problem && !reported) {
        reported = true;
        Q_EMIT recordingProblem(QString::fromStdString(*problem));
    }
}

TrainWorker::JobEnd TrainWorker::runTraining()
{
    JobEnd end;
    // The recorder first: the run row exists before the GUI hears of the start.
    GuardedRecorder recorder(databasePath_);
    bool problemReported = false; // the recorder keeps only its first problem
    reportRecordingProblem(recorder, problemReported);

    TrainEventForwarder forwarder;
    forwardStartAndEvaluations(forwarder, recorder, problemReported);
    connect(&forwarder, &TrainEventForwarder::stepsReady, this, &TrainWorker::stepsReady, Qt::DirectConnection);
    connect(&forwarder, &TrainEventForwarder::checkpointWritten, this, &TrainWorker::checkpointWritten,
            Qt::DirectConnection);

    lwb::Trainer trainer(config_);
    if (recorder.isRecording())
        trainer.addObserver(&recorder);
    trainer.addObserver(&forwarder);
    // Last: the step is recorded and forwarded before the job waits at the gate.
    pauseGate_.setOnPause([this, &forwarder] {
        forwarder.flush();
        Q_EMIT heldAtPause(); // after the flushed steps: the GUI has them all when this arrives
    });
    trainer.addObserver(&pauseGate_);
    {
        std::lock_guard<std::mutex> lock(trainerMutex_);
        trainer_ = &trainer;
        if (stopRequested_)
            trainer.requestStop(); // Cancel came before the trainer existed
    }
    try {
        end.outcome = trainer.run();
    } catch (const std::exception &error) {
        end = {lwb::RunOutcome::Failed, QString::fromStdString(error.what())};
    }
    {
        std::lock_guard<std::mutex> lock(trainerMutex_);
        trainer_ = nullptr;
    }
    pauseGate_.setOnPause({}); // the forwarder goes out of scope
    forwarder.flush();
    if (end.message.isEmpty())
        end.message = forwarder.finishMessage();
    reportRecordingProblem(recorder, problemReported);
    return end;
}

} // namespace lwb::ui
