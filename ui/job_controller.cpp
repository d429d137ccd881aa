// See job_controller.h.
#include "ui/job_controller.h"

#include "ui/job_thread.h"
#include "ui/train_worker.h"

namespace lwb::ui {

JobController::JobController(QObject *parent)
    : QObject(parent)
{
    registerEngineMetatypes();
}

JobController::~JobController()
{
    // job_'s destructor requests the stop and waits for the thread.
    job_.reset();
}

bool JobController::start(const lwb::RunConfig &config)
{
    if (job_)
        return false;
    startJob(nextJobId_++, config);
    return true;
}

qint64 JobController::enqueue(const lwb::RunConfig &config)
{
    const qint64 id = nextJobId_++;
    if (!job_) {
        startJob(id, config);
    } else {
        queue_.append(QueuedJob{id, config});
        Q_EMIT queueChanged();
    }
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

void JobController::startJob(qint64 jobId, const lwb::RunConfig &config)
{
    runningJobId_ = jobId;
    job_ = std::make_unique<JobThread>(config, databasePath_.toStdString());
    auto *worker = job_->worker();
    // Queued explicitly: the worker emits on the job's thread, the receivers
    // here are widgets' slots on the GUI thread.
    connect(worker, &TrainWorker::runStarted, this, &JobController::runStarted, Qt::QueuedConnection);
    connect(worker, &TrainWorker::stepsReady, this, &JobController::stepsReady, Qt::QueuedConnection);
    connect(worker, &TrainWorker::evaluated, this, &JobController::evaluated, Qt::QueuedConnection);
    connect(worker, &TrainWorker::dlpProgress, this, &JobController::dlpProgress, Qt::QueuedConnection);
    connect(worker, &TrainWorker::checkpointWritten, this, &JobController::checkpointWritten, Qt::QueuedConnection);
    connect(worker, &TrainWorker::recordingProblem, this, &JobController::recordingProblem, Qt::QueuedConnection);
    connect(worker, &TrainWorker::finished, this, &JobController::onWorkerFinished, Qt::QueuedConnection);
    setState(State::Running);
    Q_EMIT jobStarted(config);
    job_->start();
    Q_EMIT queueChanged();
}

void JobController::cancel()
{
    if (!job_ || (state_ != State::Running && state_ != State::Paused))
        return;
    job_->requestStop(); // also opens the pause gate
    setState(State::Stopping);
}

void JobController::pause()
{
    if (!job_ || state_ != State::Running)
        return;
    job_->setPaused(true);
    setState(State::Paused);
}

void JobController::resume()
{
    if (!job_ || state_ != State::Paused)
        return;
    job_->setPaused(false);
    setState(State::Running);
}

void JobController::stopAndWait()
{
    if (!job_)
        return;
    queue_.clear(); // closing the window: queued jobs are not started
    job_->requestStop();
    if (state_ == State::Running || state_ == State::Paused)
        setState(State::Stopping);
    job_->wait();
}

void JobController::onWorkerFinished(lwb::RunOutcome outcome, const QString &message)
{
    // The worker's last signal: its thread is quitting, so this returns at once.
    job_.reset();
    runningJobId_ = 0;
    setState(State::Idle);
    Q_EMIT jobFinished(outcome, message);
    if (!queue_.isEmpty() && !job_) {
        const QueuedJob next = queue_.takeFirst();
        startJob(next.id, next.config);
    } else {
        Q_EMIT queueChanged();
    }
}

void JobController::setState(State state)
{
    if (state_ == state)
        return;
    state_ = state;
    Q_EMIT stateChanged(state);
}

} // namespace lwb::ui
