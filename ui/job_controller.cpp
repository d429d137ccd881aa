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
    job_ = std::make_unique<JobThread>(config, databasePath_.toStdString());
    auto *worker = job_->worker();
    // Queued explicitly: the worker emits on the job's thread, the receivers
    // here are widgets' slots on the GUI thread.
    connect(worker, &TrainWorker::runStarted, this, &JobController::runStarted, Qt::QueuedConnection);
    connect(worker, &TrainWorker::stepsReady, this, &JobController::stepsReady, Qt::QueuedConnection);
    connect(worker, &TrainWorker::evaluated, this, &JobController::evaluated, Qt::QueuedConnection);
    connect(worker, &TrainWorker::checkpointWritten, this, &JobController::checkpointWritten, Qt::QueuedConnection);
    connect(worker, &TrainWorker::recordingProblem, this, &JobController::recordingProblem, Qt::QueuedConnection);
    connect(worker, &TrainWorker::finished, this, &JobController::onWorkerFinished, Qt::QueuedConnection);
    setState(State::Running);
    Q_EMIT jobStarted(config);
    job_->start();
    return true;
}

void JobController::cancel()
{
    if (!job_ || state_ != State::Running)
        return;
    job_->requestStop();
    setState(State::Stopping);
}

void JobController::stopAndWait()
{
    if (!job_)
        return;
    job_->requestStop();
    if (state_ == State::Running)
        setState(State::Stopping);
    job_->wait();
}

void JobController::onWorkerFinished(lwb::RunOutcome outcome, const QString &message)
{
    // The worker's last signal: its thread is quitting, so this returns at once.
    job_.reset();
    setState(State::Idle);
    Q_EMIT jobFinished(outcome, message);
}

void JobController::setState(State state)
{
    if (state_ == state)
        return;
    state_ = state;
    Q_EMIT stateChanged(state);
}

} // namespace lwb::ui
