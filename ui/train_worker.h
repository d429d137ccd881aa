// TrainWorker: runs one training job (lwb::Trainer, or for adapter.variant
// "dlp" a whole lwb::DlpStudy) on the thread it was moved to, and reports
// through queued signals that carry values only.
//
// run() blocks its thread until the run ends; it never throws — an exception
// from the engine ends the job as Failed with the exception's message.
// requestStop() is the one member that other threads call: it sets the
// Trainer's atomic stop flag (honoured after the current step), or remembers
// the request if the Trainer does not exist yet; it also opens the pause
// gate, so a paused job stops at once. setPaused() is thread-safe too. The worker attaches a
// GuardedRecorder (the run store, when a database path is given) and a
// TrainEventForwarder (the signals below) to the Trainer.
//
// A DLP-LoRA study is recorded as one run (its evaluation holds the study's
// table) whose trainings (task LoRAs, multi-task LoRA) are child runs; its
// progress arrives as dlpProgress(), its result as evaluated(); pause holds
// it between two training steps.
//
// This header is torch-free; train_worker.cpp and dlp_study_job.cpp are where
// the GUI library meets LibTorch (engine/train/trainer.h, engine/dlp).
#pragma once

#include "ui/pause_gate.h"

#include "engine/config/run_config.h"
#include "ui/engine_metatypes.h"

#include <QObject>
#include <QString>

#include <mutex>
#include <string>

namespace lwb {
class DlpStudy;
class Trainer;
} // namespace lwb

namespace lwb::ui {

class GuardedRecorder;
class TrainEventForwarder;

class TrainWorker : public QObject
{
    Q_OBJECT

public:
    // databasePath: where to record the run ("" = do not record).
    TrainWorker(lwb::RunConfig config, std::string databasePath, QObject *parent = nullptr);
    ~TrainWorker() override;

    void requestStop(); // thread-safe
    // Pauses after the current step / resumes (thread-safe; see PauseGate).
    void setPaused(bool paused);

public Q_SLOTS:
    void run();

Q_SIGNALS:
    // storeRunId: the run's id in the run store, 0 when it is not recorded.
    void runStarted(const lwb::RunInfo &info, qint64 storeRunId);
    void stepsReady(const lwb::ui::StepBatch &steps);
    void evaluated(const lwb::EvalMetrics &metrics);
    void checkpointWritten(qint64 step, const QString &path);
    // A storage problem: the job goes on (or went on) without recording.
    void recordingProblem(const QString &message);
    // A DLP-LoRA study's progress (stage, steps, loss, selection counts);
    // at most one per kProgressInterval except at stage ends.
    void dlpProgress(const lwb::DlpStudyProgress &progress);
    // The job's thread waits at the pause gate now (every step before it was sent).
    void heldAtPause();
    // Always the last signal of a job, exactly once.
    void finished(lwb::RunOutcome outcome, const QString &message);

private:
    struct JobEnd
    {
        lwb::RunOutcome outcome = lwb::RunOutcome::Failed;
        QString message;
    };
    // Each runs its job to the end; an exception means it could not start.
    JobEnd runTraining();
    JobEnd runStudy(); // dlp_study_job.cpp
    // Emits recordingProblem once for the recorder's first problem.
    void reportRecordingProblem(const GuardedRecorder &recorder, bool &reported);
    // The run's start (with its store id) and its evaluations, from the forwarder.
    void forwardStartAndEvaluations(TrainEventForwarder &forwarder, const GuardedRecorder &recorder,
                                    bool &problemReported);

    lwb::RunConfig config_;
    std::string databasePath_;
    PauseGate pauseGate_;
    std::mutex trainerMutex_;          // guards trainer_ and stopRequested_
    lwb::Trainer *trainer_ = nullptr;  // set while run() is inside Trainer::run
    lwb::DlpStudy *study_ = nullptr;   // set while run() is inside DlpStudy::run
    bool stopRequested_ = false;
};

} // namespace lwb::ui
