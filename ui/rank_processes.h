// RankProcesses: ranks 1..N-1 of a data-parallel job started from the GUI,
// as child processes of the `lorawb` executable (engine/dist's env://
// rendezvous, as `lorawb launch` and torchrun start ranks). Rank 0 is not
// here: it trains in the GUI process (TrainWorker), so the recorder and the
// live views work as for a single-process job.
//
// Each child runs `lorawb train CONFIG --no-db` with WORLD_SIZE, RANK,
// LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and MASTER_PORT set;
// the config is the job's RunConfig written to a temporary file (it lives as
// long as this object). Only rank 0 records, checkpoints and exports.
//
// Threads: the job's own thread is blocked inside Trainer::run, and QProcess
// needs an event loop for its output and exit notices, so the children live
// on a supervisor QThread of their own; the public members are called from
// the job's thread and block only as long as they say. Signals are emitted on
// the supervisor thread (connect them queued or direct to a thread-safe slot).
//
// Ending: wait() gives the children a grace period to exit by themselves (a
// stop is agreed by all ranks at a step boundary; a failing rank makes the
// others fail at their next collective), then SIGTERM, then SIGKILL. The
// destructor kills whatever still runs, so no child outlives its job.
//
// This header is torch-free.
#pragma once

#include "engine/config/run_config.h"

#include <QObject>
#include <QString>
#include <QThread>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

class QProcess;
class QTemporaryDir;

namespace lwb::ui {

// How one child rank ended.
struct RankExit
{
    int rank = 0;
    int exitCode = 0;     // the process's status; 128 + signal when it crashed or was killed
    bool crashed = false; // ended by a signal
    QString lastLine;     // the last line it wrote to stderr ("" when none)
};

class RankProcesses : public QObject
{
    Q_OBJECT

public:
    static constexpr int kMaxLinesPerRank = 200; // stderr lines relayed per child; the rest are counted

    // Nothing starts here; start() does.
    RankProcesses(QString executable, int worldSize, int masterPort);
    ~RankProcesses() override;

    // Writes the config and starts ranks 1..N-1; blocks until each has been
    // started by the system. Throws lwb::Error naming the executable when it
    // is missing or a child cannot be started (then none are left running).
    void start(const lwb::RunConfig &config);
    // Blocks until every child has exited, or `grace` has passed; then
    // terminates the rest (and kills them 10 s later). Returns how each ended,
    // by rank.
    std::vector<RankExit> wait(std::chrono::milliseconds grace);
    // A child that has already exited with a non-zero status (thread-safe).
    std::optional<RankExit> firstFailure() const;

    int worldSize() const { return worldSize_; }
    int masterPort() const { return masterPort_; }

Q_SIGNALS:
    void rankStarted(int rank, qint64 pid);
    void outputLine(int rank, const QString &line);
    void rankExited(const lwb::ui::RankExit &exit);

private:
    struct Child;
    // On the supervisor thread.
    void launchAll(const QString &configPath, QString *error);
    void readErrors(Child &child, bool flushPartial);
    void onExited(Child &child, int exitCode, bool crashed);
    void signalRunning(bool kill);

    QString executable_;
    int worldSize_;
    int masterPort_;
    std::unique_ptr<QTemporaryDir> configDir_;
    QThread supervisor_;
    QObject *home_ = nullptr; // lives on supervisor_; parent of the QProcesses
    std::vector<std::unique_ptr<Child>> children_;
    mutable std::mutex mutex_; // guards exits_ and running_
    std::condition_variable exited_;
    std::vector<RankExit> exits_;
    int running_ = 0;
};

} // namespace lwb::ui

Q_DECLARE_METATYPE(lwb::ui::RankExit)
