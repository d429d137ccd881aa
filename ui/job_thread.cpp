// See job_thread.h.
#include "ui/job_thread.h"

#include "ui/train_worker.h"

namespace lwb::ui {

JobThread::JobThread(lwb::RunConfig config, std::string databasePath, JobRanks ranks)
    : worker_(std::make_unique<TrainWorker>(std::move(config), std::move(databasePath), std::move(ranks)))
{
    thread_.setObjectName(QStringLiteral("lwb-job"));
    worker_->moveToThread(&thread_);
    QObject::connect(&thread_, &QThread::started, worker_.get(), &TrainWorker::run);
    // Direct: quit() is thread-safe, and the thread's own loop is about to
    // resume once run() returns, so the loop exits straight away.
    QObject::connect(worker_.get(), &TrainWorker::finished, &thread_, &QThread::quit, Qt::DirectConnection);
}

JobThread::~JobThread()
{
    requestStop();
    thread_.quit();
    thread_.wait();
    // worker_ is destroyed after this body, on the owner's thread: allowed,
    // because its own thread has finished and nothing else refers to it.
}

void JobThread::start()
{
    thread_.start();
}

void JobThread::requestStop()
{
    worker_->requestStop();
}

void JobThread::setPaused(bool paused)
{
    worker_->setPaused(paused);
}

bool JobThread::wait(QDeadlineTimer deadline)
{
    return thread_.wait(deadline);
}

} // namespace lwb::ui
