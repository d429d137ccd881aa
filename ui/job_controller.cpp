// See job_controller.h.
#include "ui/job_controller.h"

#include "ui/device_scheduler.h"
#include "ui/job_thread.h"
#include "ui/train_worker.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace lwb::ui {

namespace {

// The devices a job occupies: its own, or for N ranks on "cuda" (rank r on
// cuda:r, engine/dist rankDevice) the first N GPUs.
std::vector<std::string> occupiedDevices(const std::string &device, int ranks)
{
    if (ranks > 1 && device == "cuda") {
        std::vector<std::string> gpus;
        for (int rank = 0; rank < ranks; ++rank)
            gpus.push_back("cuda:" + std::to_string(rank));
        return gpus;
    }
    return {deviceKey(device)};
}

} // namespace

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
        const auto occupied = occupiedDevices(job.config.device, job.ranks);
        if (std::find(occupied.begin(), occupied.end(), key) != occupied.end())
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

int JobController::ranks(qint64 jobId) const
{
    const auto found = running_.find(jobId);
    return found == running_.end() ? 0 : found->second.ranks;
}

bool JobController::canPause(qint64 jobId) const
{
    const auto found = running_.find(jobId);
    return found != running_.end() && found->second.ranks == 1 && found->second.state == State::Running;
}

qint64 JobController::enqueue(const lwb::RunConfig &config, int ranks)
{
    const qint64 id = nextJobId_++;
    queue_.append(QueuedJob{id, config, std::max(1, ranks)});
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
        for (const auto &device : occupiedDevices(job.config.device, job.ranks))
            busyDevices.insert(device);
    // A job of several GPUs also needs its other GPUs free (and not taken by
    // a job starting now); else it waits, first in line for its first GPU.
    std::vector<std::size_t> starting;
    for (const auto index : jobsToStart(queuedDevices, busyDevices)) {
        const auto &queued = queue_[static_cast<qsizetype>(index)];
        const auto occupied = occupiedDevices(queued.config.device, queued.ranks);
        if (std::any_of(occupied.begin() + 1, occupied.end(),
                        [&busyDevices](const std::string &device) { return busyDevices.count(device) > 0; }))
            continue;
        busyDevices.insert(occupied.begin(), occupied.end());
        starting.push_back(index);
    }
    if (starting.empty())
        return false;
    QList<QueuedJob> leaving;
    for (auto index = starting.rbegin(); index != starting.rend(); ++index)
        leaving.prepend(queue_.takeAt(static_cast<qsizetype>(*index)));
    for (const auto &job : leaving)
        startJob(job);
    return true;
}

void JobController::startJob(const QueuedJob &queued)
{
    const qint64 jobId = queued.id;
    const auto &config = queued.config;
    auto &job = running_[jobId];
    job.config = config;
    job.ranks = queued.ranks;
    job.thread
        = std::make_unique<JobThread>(config, databasePath_.toStdString(), JobRanks{queued.ranks, rankExecutable_});
    auto *worker = job.thread->worker();
    relayRankSignals(jobId, worker);
    // Queued explicitly: the worker emits on the job's thread, the receivers
    // here are widgets' slots on the GUI thread. Each relay adds the job's id.
    connect(
        worker, &TrainWorker::runStarted, this,
        [this, jobId](const lwb::RunInfo &info, qint64 storeRunId) { Q_EMIT runStarted(jobId, info, storeRunId); },
        Qt::QueuedConnection);
    connect(
        worker, &TrainWorker::stepsReady, this,
        [this, jobId](const StepBatch &steps) { Q_EMIT stepsReady(jobId, steps); }, Qt::QueuedConnection);
    connect(
        worker, &TrainWorker::evaluated, this,
        [this, jobId](const lwb::EvalMetrics &metrics) { Q_EMIT evaluated(jobId, metrics); }, Qt::QueuedConnection);
    connect(
        worker, &TrainWorker::dlpProgress, this,
        [this, jobId](const lwb::DlpStudyProgress &progress) { Q_EMIT dlpProgress(jobId, progress); },
        Qt::QueuedConnection);
    connect(
        worker, &TrainWorker::checkpointWritten, this,
        [this, jobId](qint64 step, const QString &path) { Q_EMIT checkpointWritten(jobId, step, path); },
        Qt::QueuedConnection);
    connect(
        worker, &TrainWorker::recordingProblem, this,
        [this, jobId](const QString &message) { Q_EMIT recordingProblem(jobId, message); }, Qt::QueuedConnection);
    connect(worker, &TrainWorker::heldAtPause, this, [this, jobId] { Q_EMIT jobHeld(jobId); });
    connect(
        worker, &TrainWorker::finished, this,
        [this, jobId](lwb::RunOutcome outcome, const QString &message) { onWorkerFinished(jobId, outcome, message); },
        Qt::QueuedConnection);
    Q_EMIT stateChanged(jobId, State::Running);
    Q_EMIT jobStarted(jobId, config);
    job.thread->start();
    Q_EMIT queueChanged();
}

void JobController::relayRankSignals(qint64 jobId, TrainWorker *worker)
{
    connect(
        worker, &TrainWorker::ranksJoined, this,
        [this, jobId](int worldSize, const QString &backend) { Q_EMIT ranksJoined(jobId, worldSize, backend); },
        Qt::QueuedConnection);
    connect(
        worker, &TrainWorker::rankProcessStarted, this,
        [this, jobId](int rank, qint64 pid) { Q_EMIT rankProcessStarted(jobId, rank, pid); }, Qt::QueuedConnection);
    connect(
        worker, &TrainWorker::rankOutput, this,
        [this, jobId](int rank, const QString &line) { Q_EMIT rankOutput(jobId, rank, line); }, Qt::QueuedConnection);
    connect(
        worker, &TrainWorker::rankProcessExited, this,
        [this, jobId](int rank, int exitCode, const QString &lastLine) {
            Q_EMIT rankProcessExited(jobId, rank, exitCode, lastLine);
        },
        Qt::QueuedConnection);
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
    if (found == running_.end() || !canPause(jobId))
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
