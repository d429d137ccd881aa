// See job_controller.h.
#include "ui/job_controller.h"

#include "ui/device_scheduler.h"
#include "ui/job_thread.h"
#include "ui/train_worker.h"

#include <set>
#include <string>
#include <vector>

namespace lwb::ui {

JobController::JobController(QObject *parent)
    : QObject(parent)
{
    registerEngineMetatypes();
}

JobController::~JobController()
{
    // Each JobThread's destructor requests the stop and waits for its thread.
    running_.clear();
}

JobController::State JobController::state() const
{
    if (running_.empty())
        return State::Idle;
    State overall = State::Stopping;
    for (const auto &[id, job] : running_) {
        if (job.state == State::Running)
            return State::Running;
        if (job.state == State::Paused)
            overall = State::Paused;
    }
    return overall;
}

JobController::State JobController::state(qint64 jobId) const
{
    const auto found = running_.find(jobId);
    return found == running_.end() ? State::Idle : found->second.state;
}

bool JobController::isDeviceBusy(const std::string &device) const
{
    const std::string key = deviceKey(device);
    for (const auto &[id, job] : running_) {
        if (deviceKey(job.config.device) == key)
            return true;
    }
    return false;
}

QList<qint64> JobController::runningJobIds() const
{
    QList<qint64> ids;
    for (const auto &[id, job] : running_)
        ids << id;
    return ids;
}

const lwb::RunConfig *JobController::runningConfig(qint64 jobId) const
{
    const auto found = running_.find(jobId);
    return found == running_.end() ? nullptr : &found->second.config;
}

qint64 JobController::enqueue(const lwb::RunConfig &config)
{
    const qint64 id = nextJobId_++;
    queue_.append(QueuedJob{id, config});
    if (!startWaitingJobs())
        Q_EMIT queueChanged();
    return id;
}

bool JobController::removeQueued(qint64 jobId)
{
    for (qsizetype i = 0; i < queue_.size(); ++i) {
        if (queue_[i].id == jobId) {
            queue_.removeAt(i);
            Q_EMIT queueChanged();
            return true;
        }
    }
    return false;
}

bool JobController::startWaitingJobs()
{
    std::vector<std::string> queuedDevices;
    for (const auto &queued : queue_)
        queuedDevices.push_back(queued.config.device);
    std::set<std::string> busyDevices;
    for (const auto &[id, job] : running_)
        busyDevices.insert(deviceKey(job.config.device));
    const auto starting = jobsToStart(queuedDevices, busyDevices);
    if (starting.empty())
        return false;
    QList<QueuedJob> leaving;
    for (auto index = starting.rbegin(); index != starting.rend(); ++index)
        leaving.prepend(queue_.takeAt(static_cast<qsizetype>(*index)));
    for (const auto &job : leaving)
        startJob(job.id, job.config);
    return true;
}

void JobController::startJob(qint64 jobId, const lwb::RunConfig &config)
{
    auto &job = running_[jobId];
    job.config = config;
    job.thread = std::make_unique<JobThread>(config, databasePath_.toStdString());
    auto *worker = job.thread->worker();
    // Queued explicitly: the worker emits on the job's thread, the receivers
    // here are widgets' slots on the GUI thread. Each relay adds the job's id.
    connect(worker, &TrainWorker::runStarted, this, [this, jobId](const lwb::RunInfo &info, qint64 storeRunId) {
        Q_EMIT runStarted(jobId, info, storeRunId);
    }, Qt::QueuedConnection);
    connect(worker, &TrainWorker::stepsReady, this, [this, jobId](const StepBatch &steps) {
        Q_EMIT stepsReady(jobId, steps);
    }, Qt::QueuedConnection);
    connect(worker, &TrainWorker::evaluated, this, [this, jobId](const lwb::EvalMetrics &metrics) {
        Q_EMIT evaluated(jobId, metrics);
    }, Qt::QueuedConnection);
    connect(worker, &TrainWorker::dlpProgress, this, [this, jobId](const lwb::DlpStudyProgress &progress) {
        Q_EMIT dlpProgress(jobId, progress);
    }, Qt::QueuedConnection);
    connect(worker, &TrainWorker::checkpointWritten, this, [this, jobId](qint64 step, const QString &path) {
        Q_EMIT checkpointWritten(jobId, step, path);
    }, Qt::QueuedConnection);
    connect(worker, &TrainWorker::recordingProblem, this, [this, jobId](const QString &message) {
        Q_EMIT recordingProblem(jobId, message);
    }, Qt::QueuedConnection);
    connect(worker, &TrainWorker::heldAtPause, this, [this, jobId] { Q_EMIT jobHeld(jobId); });
    connect(worker, &TrainWorker::finished, this, [this, jobId](lwb::RunOutcome outcome, const QString &message) {
        onWorkerFinished(jobId, outcome, message);
    }, Qt::QueuedConnection);
    Q_EMIT stateChanged(jobId, State::Running);
    Q_EMIT jobStarted(jobId, config);
    job.thread->start();
    Q_EMIT queueChanged();
}

void JobController::cancel(qint64 jobId)
{
    const auto found = running_.find(jobId);
    if (found == running_.end() || found->second.state == State::Stopping)
        return;
    found->second.thread->requestStop(); // also opens the pause gate
    setState(jobId, found->second, State::Stopping);
}

void JobController::pause(qint64 jobId)
{
    const auto found = running_.find(jobId);
    if (found == running_.end() || found->second.state != State::Running)
        return;
    found->second.thread->setPaused(true);
    setState(jobId, found->second, State::Paused);
}

void JobController::resume(qint64 jobId)
{
    const auto found = running_.find(jobId);
    if (found == running_.end() || found->second.state != State::Paused)
        return;
    found->second.thread->setPaused(false);
    setState(jobId, found->second, State::Running);
}

void JobController::stopAll()
{
    if (!queue_.isEmpty()) {
        queue_.clear(); // closing the window: queued jobs are not started
        Q_EMIT queueChanged();
    }
    for (auto &[id, job] : running_) {
        if (job.state == State::Stopping)
            continue;
        job.thread->requestStop(); // also opens the pause gate
        setState(id, job, State::Stopping);
    }
}

void JobController::stopAndWait()
{
    stopAll();
    for (auto &[id, job] : running_)
        job.thread->wait();
}

void JobController::onWorkerFinished(qint64 jobId, lwb::RunOutcome outcome, const QString &message)
{
    // The worker's last signal: its thread is quitting, so the erase (which
    // joins the thread) returns at once.
    running_.erase(jobId);
    Q_EMIT stateChanged(jobId, State::Idle);
    Q_EMIT jobFinished(jobId, outcome, message);
    if (!startWaitingJobs())
        Q_EMIT queueChanged();
}

void JobController::setState(qint64 jobId, RunningJob &job, State state)
{
    if (job.state == state)
        return;
    job.state = state;
    Q_EMIT stateChanged(jobId, state);
}

} // namespace lwb::ui
