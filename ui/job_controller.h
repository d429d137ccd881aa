// JobController: the job queue — starts, pauses and cancels training jobs,
// one at a time per device, and relays what they report to the GUI thread.
//
// Each running job has its own JobThread (a QThread plus a TrainWorker moved
// to it). The worker's signals carry plain values and reach this object
// queued; this object re-emits them on the GUI thread with the id of the job
// they come from, since several jobs may report at once. Cancel sets the
// Trainer's atomic stop flag; the job then ends as Cancelled after the
// current step (the trainer writes a checkpoint). A job that throws ends as
// Failed with the message. Destroying the controller stops every running job
// and waits for its thread (JobThread's RAII), so a window can always close.
//
// Jobs queue per device (device_scheduler.h): enqueue() starts a job at once
// when no job runs on its device (RunConfig::device, "cuda" being "cuda:0"),
// else appends it to the queue. Whenever a job ends (finished, cancelled or
// failed) the first queued job of each free device starts, so a CPU job and
// a job on each GPU train side by side, while jobs for a busy device wait in
// queue order. A running job can be paused between two steps and resumed
// (PauseGate).
//
// A job carries its rank count (a job parameter, not a RunConfig key): with
// N > 1 it trains as N local processes (TrainWorker: rank 0 on the job's
// thread, ranks 1..N-1 as `lorawb` children); cancel stops every rank at the
// next step. A CUDA job of N ranks on "cuda" occupies cuda:0..N-1. Such a job
// cannot pause: the children would time out waiting in a collective.
#pragma once

#include "engine/config/run_config.h"
#include "ui/engine_metatypes.h"
#include "ui/train_worker.h"

#include <QList>
#include <QObject>
#include <QString>

#include <map>
#include <memory>

namespace lwb::ui {

class JobThread;

class JobController : public QObject
{
    Q_OBJECT

public:
    // A job's state; Idle: not running (queued, ended or unknown).
    enum class State { Idle, Running, Paused, Stopping };
    Q_ENUM(State)

    explicit JobController(QObject *parent = nullptr);
    ~JobController() override;

    // Where jobs are recorded; "" records nothing. Applies to jobs started later.
    void setDatabasePath(const QString &path) { databasePath_ = path; }
    const QString &databasePath() const { return databasePath_; }
    // The `lorawb` executable that runs ranks 1..N-1 of a data-parallel job;
    // "" (the default) is lorawb beside this program.
    void setRankExecutable(const QString &path) { rankExecutable_ = path; }

    // The controller as a whole: Idle when no job runs, else Running when any
    // running job trains, else Paused when any is paused, else Stopping.
    State state() const;
    bool isBusy() const { return !running_.empty(); }
    State state(qint64 jobId) const;
    // A job runs on this device ("cuda" and "cuda:0" are the same device).
    bool isDeviceBusy(const std::string &device) const;

    struct QueuedJob
    {
        qint64 id = 0; // unique within this controller
        lwb::RunConfig config;
        int ranks = 1; // processes the job trains as
    };

    // Starts the job now when no job runs on its device(s), else queues it;
    // returns its id. ranks: processes (1 = this one only).
    qint64 enqueue(const lwb::RunConfig &config, int ranks = 1);
    const QList<QueuedJob> &queuedJobs() const { return queue_; }
    bool removeQueued(qint64 jobId); // false when no such queued job
    // The running jobs' ids, oldest first.
    QList<qint64> runningJobIds() const;
    // A running job's config; nullptr when the job is not running.
    const lwb::RunConfig *runningConfig(qint64 jobId) const;
    // A running job's rank count; 0 when the job is not running.
    int ranks(qint64 jobId) const;
    // A running job that can pause now (one process, running).
    bool canPause(qint64 jobId) const;
    // Asks a running job to stop after its current step. Does not block.
    void cancel(qint64 jobId);
    // Pauses a running job after its current step / resumes it.
    void pause(qint64 jobId);
    void resume(qint64 jobId);
    // Drops the queue and asks every running job to stop after its current
    // step (or evaluation batch / generated token). Does not block: each
    // job's jobFinished follows (closing the window waits for them).
    void stopAll();
    // stopAll(), then waits until the threads have ended (the destructor's
    // path). The jobs' last signals still arrive, queued.
    void stopAndWait();

Q_SIGNALS:
    void stateChanged(qint64 jobId, lwb::ui::JobController::State state);
    void queueChanged();
    void jobStarted(qint64 jobId, const lwb::RunConfig &config);
    void runStarted(qint64 jobId, const lwb::RunInfo &info, qint64 storeRunId);
    void stepsReady(qint64 jobId, const lwb::ui::StepBatch &steps);
    void evaluated(qint64 jobId, const lwb::EvalMetrics &metrics);
    void dlpProgress(qint64 jobId, const lwb::DlpStudyProgress &progress); // a DLP-LoRA study's stages
    void checkpointWritten(qint64 jobId, qint64 step, const QString &path);
    void recordingProblem(qint64 jobId, const QString &message);
    void jobFinished(qint64 jobId, lwb::RunOutcome outcome, const QString &message);
    // A paused job's thread is held between two steps now; its steps so far have arrived.
    void jobHeld(qint64 jobId);
    // A data-parallel job's ranks have met; its child processes (see TrainWorker).
    void ranksJoined(qint64 jobId, int worldSize, const QString &backend);
    void rankProcessStarted(qint64 jobId, int rank, qint64 pid);
    void rankOutput(qint64 jobId, int rank, const QString &line);
    void rankProcessExited(qint64 jobId, int rank, int exitCode, const QString &lastLine);

private:
    struct RunningJob
    {
        lwb::RunConfig config;
        int ranks = 1;
        std::unique_ptr<JobThread> thread;
        State state = State::Running;
    };

    void startJob(const QueuedJob &queued);
    void relayRankSignals(qint64 jobId, TrainWorker *worker);
    // Starts the queued jobs whose devices are free; true when any started.
    bool startWaitingJobs();
    void onWorkerFinished(qint64 jobId, lwb::RunOutcome outcome, const QString &message);
    void setState(qint64 jobId, RunningJob &job, State state);

    QString databasePath_;
    QString rankExecutable_;
    std::map<qint64, RunningJob> running_; // by id, so oldest first
    QList<QueuedJob> queue_;
    qint64 nextJobId_ = 1;
};

} // namespace lwb::ui
