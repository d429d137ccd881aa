// See train_worker.h. The only GUI-side file that includes the Trainer (and so
// LibTorch); everything it sends out is a plain value.
#include "ui/train_worker.h"

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
    if (config_.adapter.variant == lwb::kDlpVariant)
        runStudy();
    else
        runTraining();
}

void TrainWorker::reportRecordingProblem(const GuardedRecorder &recorder, bool &reported)
{
    if (auto problem = recorder.error(); problem && !reported) {
        reported = true;
        Q_EMIT recordingProblem(QString::fromStdString(*problem));
    }
}

void TrainWorker::runTraining()
{
    lwb::RunOutcome outcome = lwb::RunOutcome::Failed;
    QString message;
    try {
        // The recorder first: the run row exists before the GUI hears of the start.
        GuardedRecorder recorder(databasePath_);
        bool problemReported = false; // the recorder keeps only its first problem
        reportRecordingProblem(recorder, problemReported);

        TrainEventForwarder forwarder;
        connect(&forwarder, &TrainEventForwarder::runStarted, this,
                [this, &recorder, &problemReported](const lwb::RunInfo &info) {
                    reportRecordingProblem(recorder, problemReported);
                    Q_EMIT runStarted(info, recorder.runId());
                },
                Qt::DirectConnection);
        connect(&forwarder, &TrainEventForwarder::stepsReady, this, &TrainWorker::stepsReady, Qt::DirectConnection);
        connect(&forwarder, &TrainEventForwarder::evaluated, this, &TrainWorker::evaluated, Qt::DirectConnection);
        connect(&forwarder, &TrainEventForwarder::checkpointWritten, this, &TrainWorker::checkpointWritten,
                Qt::DirectConnection);

        lwb::Trainer trainer(config_);
        if (recorder.isRecording())
            trainer.addObserver(&recorder);
        trainer.addObserver(&forwarder);
        // Last: the step is recorded and forwarded before the job waits at the gate.
        pauseGate_.setOnPause([&forwarder] { forwarder.flush(); });
        trainer.addObserver(&pauseGate_);
        {
            std::lock_guard<std::mutex> lock(trainerMutex_);
            trainer_ = &trainer;
            if (stopRequested_)
                trainer.requestStop(); // Cancel came before the trainer existed
        }
        try {
            outcome = trainer.run();
        } catch (const std::exception &error) {
            outcome = lwb::RunOutcome::Failed;
            message = QString::fromStdString(error.what());
        }
        {
            std::lock_guard<std::mutex> lock(trainerMutex_);
            trainer_ = nullptr;
        }
        pauseGate_.setOnPause({}); // the forwarder goes out of scope
        forwarder.flush();
        if (message.isEmpty())
            message = forwarder.finishMessage();
        reportRecordingProblem(recorder, problemReported);
    } catch (const std::exception &error) {
        // Building the trainer or the observers failed: nothing ran.
        outcome = lwb::RunOutcome::Failed;
        message = QString::fromStdString(error.what());
    } catch (...) {
        outcome = lwb::RunOutcome::Failed;
        message = tr("unknown error");
    }
    Q_EMIT finished(outcome, message);
}

} // namespace lwb::ui
