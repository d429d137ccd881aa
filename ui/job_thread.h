// JobThread: one training job's QThread and its TrainWorker, ended by RAII.
//
// The constructor moves a new worker to a new thread and starts it; the
// worker's run() begins as soon as the thread's event loop does, and the
// thread quits by itself when run() returns. The destructor asks the worker
// to stop (the Trainer's atomic flag, honoured after the current step), then
// quits and waits for the thread, so no owner — a closing window, a test —
// can be destroyed while a job still runs on its thread.
//
// Signals of the job are the worker's (see TrainWorker); connect to them
// before the event loop of the receiver's thread runs again.
#pragma once

#include "engine/config/run_config.h"
#include "ui/train_worker.h"

#include <QThread>

#include <memory>
#include <string>

namespace lwb::ui {

class JobThread
{
public:
    // ranks: one process, or rank 0 here and ranks 1..N-1 as child processes (TrainWorker).
    JobThread(lwb::RunConfig config, std::string databasePath, JobRanks ranks = {});
    ~JobThread();
    JobThread(const JobThread &) = delete;
    JobThread &operator=(const JobThread &) = delete;

    TrainWorker *worker() const { return worker_.get(); }
    void start();
    void requestStop();
    void setPaused(bool paused);
    bool isRunning() const { return thread_.isRunning(); }
    // Waits for the thread to end; false when the timeout passed first.
    bool wait(QDeadlineTimer deadline = QDeadlineTimer(QDeadlineTimer::Forever));

private:
    QThread thread_;
    std::unique_ptr<TrainWorker> worker_; // lives on thread_; deleted here once thread_ is done
};

} // namespace lwb::ui
