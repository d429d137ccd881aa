// JobController: starts and cancels training jobs and relays what they report
// to the GUI thread.
//
// Each job gets its own JobThread (a QThread plus a TrainWorker moved to it).
// The worker's signals carry plain values and reach this object queued; this
// object re-emits them on the GUI thread, where widgets may use them. Cancel
// sets the Trainer's atomic stop flag; the job then ends as Cancelled after
// the current step (the trainer writes a checkpoint). A job that throws ends
// as Failed with the message. Destroying the controller stops a running job
// and waits for its thread (JobThread's RAII), so a window can always close.
//
// Jobs queue: enqueue() starts a job at once when none runs, else appends it;
// when a job ends (finished, cancelled or failed) the next queued one starts.
// One job runs at a time: the workbench trains on one device per machine for
// now, so "one job per device" and "one job" are the same; running jobs on
// several GPUs at once would mean one JobThread per device here. A running
// job can be paused between two steps and resumed (PauseGate).
#pragma once

#include "engine/config/run_config.h"
#include "ui/engine_metatypes.h"

#include <QList>
#include <QObject>
#include <QString>

#include <memory>

namespace lwb::ui {

class JobThread;

class JobController : public QObject
{
    Q_OBJECT

public:
    enum class State { Idle, Running, Paused, Stopping };
    Q_ENUM(State)

    explicit JobController(QObject *parent = nullptr);
    ~JobController() override;

    // Where jobs are recorded; "" records nothing. Applies to jobs started later.
    void setDatabasePath(const QString &path) { databasePath_ = path; }
    const QString &databasePath() const { return databasePath_; }

    State state() const { return state_; }
    bool isBusy() const { return state_ != State::Idle; }

    struct QueuedJob
    {
        qint64 id = 0; // unique within this controller
        lwb::RunConfig config;
    };

    // Starts a job for a validated config; false (and nothing started) when a
    // job is still running.
    bool start(const lwb::RunConfig &config);
    // Starts the job now when idle, else queues it; returns its id.
    qint64 enqueue(const lwb::RunConfig &config);
    const QList<QueuedJob> &queuedJobs() const { return queue_; }
    bool removeQueued(qint64 jobId); // false when no such queued job
    qint64 runningJobId() const { return runningJobId_; } // 0 when idle
    // Asks the running job to stop after its current step. Does not block.
    void cancel();
    // Pauses the running job after its current step / resumes it.
    void pause();
    void resume();
    // Asks the running job to stop and waits until its thread has ended
    // (closing the window). The job's last signals still arrive, queued.
    void stopAndWait();

Q_SIGNALS:
    void stateChanged(lwb::ui::JobController::State state);
    void queueChanged();
    void jobStarted(const lwb::RunConfig &config);
    void runStarted(const lwb::RunInfo &info, qint64 storeRunId);
    void stepsReady(const lwb::ui::StepBatch &steps);
    void evaluated(const lwb::EvalMetrics &metrics);
    void dlpProgress(const lwb::DlpStudyProgress &progress); // a DLP-LoRA study's stages
    void checkpointWritten(qint64 step, const QString &path);
    void recordingProblem(const QString &message);
    void jobFinished(lwb::RunOutcome outcome, const QString &message);

private:
    void startJob(qint64 jobId, const lwb::RunConfig &config);
    void onWorkerFinished(lwb::RunOutcome outcome, const QString &message);
    void setState(State state);

    QString databasePath_;
    std::unique_ptr<JobThread> job_;
    State state_ = State::Idle;
    QList<QueuedJob> queue_;
    qint64 nextJobId_ = 1;
    qint64 runningJobId_ = 0;
};

} // namespace lwb::ui
