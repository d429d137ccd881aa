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
// Data parallel (engine/dist): a job of N > 1 ranks trains rank 0 here, in
// this process (a Trainer with a Communicator; the recorder, the forwarder
// and the pause gate as for one process, so the live views work unchanged),
// and ranks 1..N-1 as child processes of `lorawb train` (RankProcesses). A
// cancel is rank 0's stop, agreed by every rank at the next step; a child
// that fails makes rank 0 fail at its next collective with the engine's
// message naming that rank. When rank 0's run ends the worker waits for the
// children (training.collective_timeout_s + 30 s, then terminates them);
// their stderr arrives as rankOutput(). A study (DLP-LoRA) runs as one process.
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
#include <vector>

namespace lwb {
class DlpStudy;
class Trainer;
} // namespace lwb

namespace lwb::ui {

class GuardedRecorder;
class TrainEventForwarder;
struct RankExit;

// How many processes a job trains as (a job parameter, not a RunConfig key:
// the same config trains alike on 1 or N ranks), and the `lorawb` executable
// that runs ranks 1..N-1.
struct JobRanks
{
    int count = 1;
    QString executable; // "" = lorawb beside this program (QCoreApplication::applicationDirPath())
};

class TrainWorker : public QObject
{
    Q_OBJECT

public:
    // databasePath: where to record the run ("" = do not record).
    TrainWorker(lwb::RunConfig config, std::string databasePath, JobRanks ranks = {}, QObject *parent = nullptr);
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
    // A job of several ranks: all have met (backend "gloo" or "nccl").
    void ranksJoined(int worldSize, const QString &backend);
    // A child rank's process started / wrote a stderr line / ended (status 0 = finished).
    void rankProcessStarted(int rank, qint64 pid);
    void rankOutput(int rank, const QString &line);
    void rankProcessExited(int rank, int exitCode, const QString &lastLine);
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
    // The children's ends folded into rank 0's (a data-parallel job).
    static JobEnd withChildren(JobEnd end, const std::vector<RankExit> &exits);
    // Emits recordingProblem once for the recorder's first problem.
    void reportRecordingProblem(const GuardedRecorder &recorder, bool &reported);
    // The run's start (with its store id) and its evaluations, from the forwarder.
    void forwardStartAndEvaluations(TrainEventForwarder &forwarder, const GuardedRecorder &recorder,
                                    bool &problemReported);

    lwb::RunConfig config_;
    std::string databasePath_;
    JobRanks ranks_;
    PauseGate pauseGate_;
    std::mutex trainerMutex_;         // guards trainer_ and stopRequested_
    lwb::Trainer *trainer_ = nullptr; // set while run() is inside Trainer::run
    lwb::DlpStudy *study_ = nullptr;  // set while run() is inside DlpStudy::run
    bool stopRequested_ = false;
};

} // namespace lwb::ui
