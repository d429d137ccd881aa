// TrainWorker::runStudy: a DLP-LoRA study as a job (see train_worker.h). The
// other GUI-side file that includes LibTorch headers (engine/dlp).
#include "ui/train_worker.h"

#include "engine/dlp/dlp_study.h"
#include "ui/guarded_recorder.h"
#include "ui/train_event_forwarder.h"

#include <chrono>
#include <exception>

namespace lwb::ui {

namespace {

// Progress signals at most this often within a stage; a stage's first and
// last report always go out.
constexpr std::chrono::milliseconds kProgressInterval{50};

} // namespace

TrainWorker::JobEnd TrainWorker::runStudy()
{
    JobEnd end;
    // The study's own run first, so its trainings can name it as their parent.
    GuardedRecorder recorder(databasePath_);
    bool problemReported = false;
    reportRecordingProblem(recorder, problemReported);
    TrainEventForwarder forwarder; // the study's start and its one evaluation
    forwardStartAndEvaluations(forwarder, recorder, problemReported);

    lwb::DlpStudy study(config_);
    if (recorder.isRecording())
        study.addObserver(&recorder);
    study.addObserver(&forwarder);
    // Each training: a child run of the study, and the pause gate (last,
    // so a step is recorded before the job waits).
    study.setStageObservers([this, &recorder](const std::string &, const std::string &) {
        std::vector<std::shared_ptr<lwb::TrainObserver>> observers;
        if (recorder.runId() > 0)
            observers.push_back(std::make_shared<GuardedRecorder>(databasePath_, recorder.runId()));
        observers.push_back(std::shared_ptr<lwb::TrainObserver>(&pauseGate_, [](lwb::TrainObserver *) {}));
        return observers;
    });
    std::string lastStage;
    auto lastEmit = std::chrono::steady_clock::time_point{};
    study.setObserver([&](const lwb::DlpStudyProgress &progress) {
        const std::string stage = progress.stage + '\n' + progress.detail;
        const auto now = std::chrono::steady_clock::now();
        if (stage == lastStage && progress.done != progress.total && now - lastEmit < kProgressInterval)
            return;
        lastStage = stage;
        lastEmit = now;
        Q_EMIT dlpProgress(progress);
    });
    {
        std::lock_guard<std::mutex> lock(trainerMutex_);
        study_ = &study;
        if (stopRequested_)
            study.requestStop(); // Cancel came before the study existed
    }
    try {
        study.run();
        end = {lwb::RunOutcome::Finished,
               tr("study finished; its folder: %1").arg(QString::fromStdString(study.config().training.outputDir))};
    } catch (const std::exception &error) {
        std::lock_guard<std::mutex> lock(trainerMutex_);
        end = stopRequested_ ? JobEnd{lwb::RunOutcome::Cancelled, tr("study stopped by request")}
                             : JobEnd{lwb::RunOutcome::Failed, QString::fromStdString(error.what())};
    }
    {
        std::lock_guard<std::mutex> lock(trainerMutex_);
        study_ = nullptr;
    }
    forwarder.flush();
    reportRecordingProblem(recorder, problemReported);
    return end;
}

} // namespace lwb::ui
