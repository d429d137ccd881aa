// See rank_processes.h. POSIX for the free port; QProcess for the children.
#include "ui/rank_processes.h"

#include "engine/core/error.h"

#include <QFile>
#include <QFileInfo>
#include <QMetaObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lwb::ui {

namespace {

constexpr int kStartTimeoutMs = 30000;
constexpr auto kKillAfterTerminate = std::chrono::seconds(10);

// Runs `work` on `home`'s thread and waits for it (never called from that thread).
template <typename Work> void runOn(QObject *home, Work work)
{
    QMetaObject::invokeMethod(home, std::move(work), Qt::BlockingQueuedConnection);
}

} // namespace

struct RankProcesses::Child
{
    int rank = 0;
    QProcess *process = nullptr; // owned by home_, on the supervisor thread
    QByteArray partial;          // stderr after the last newline
    int relayed = 0;             // lines sent as outputLine
    int dropped = 0;             // lines over kMaxLinesPerRank
    QString lastLine;
};

RankProcesses::RankProcesses(QString executable, int worldSize, int masterPort)
    : executable_(std::move(executable))
    , worldSize_(worldSize)
    , masterPort_(masterPort)
    , home_(new QObject)
{
    supervisor_.setObjectName(QStringLiteral("lwb-ranks"));
    home_->moveToThread(&supervisor_);
    supervisor_.start();
}

RankProcesses::~RankProcesses()
{
    runOn(home_, [this] {
        for (auto &child : children_) {
            if (child->process && child->process->state() != QProcess::NotRunning) {
                child->process->kill();
                child->process->waitForFinished(5000);
            }
            delete child->process; // on its own thread
            child->process = nullptr;
        }
    });
    supervisor_.quit();
    supervisor_.wait();
    delete home_; // its thread has ended
}

void RankProcesses::start(const lwb::RunConfig &config)
{
    const QFileInfo program(executable_);
    if (!program.isFile() || !program.isExecutable())
        throw lwb::Error(executable_.toStdString(),
                         "not found or not executable: ranks 1.." + std::to_string(worldSize_ - 1)
                             + " run the lorawb executable, which is installed beside lora-workbench");
    configDir_ = std::make_unique<QTemporaryDir>();
    if (!configDir_->isValid())
        throw lwb::Error("data-parallel job", "cannot create a temporary folder for the ranks' config: "
                                                  + configDir_->errorString().toStdString());
    const QString configPath = configDir_->filePath(QStringLiteral("run_config.json"));
    QFile file(configPath);
    const QByteArray json = QByteArray::fromStdString(config.toJson().dump(2));
    if (!file.open(QIODevice::WriteOnly) || file.write(json) != json.size() || !file.flush())
        throw lwb::Error(configPath.toStdString(),
                         "cannot write the ranks' config: " + file.errorString().toStdString());
    file.close();

    QString error;
    runOn(home_, [this, &configPath, &error] { launchAll(configPath, &error); });
    if (!error.isEmpty())
        throw lwb::Error(executable_.toStdString(), error.toStdString());
}

void RankProcesses::launchAll(const QString &configPath, QString *error)
{
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("WORLD_SIZE"), QString::number(worldSize_));
    environment.insert(QStringLiteral("LOCAL_WORLD_SIZE"), QString::number(worldSize_));
    environment.insert(QStringLiteral("MASTER_ADDR"), QStringLiteral("127.0.0.1"));
    environment.insert(QStringLiteral("MASTER_PORT"), QString::number(masterPort_));
    environment.remove(QStringLiteral("TORCHELASTIC_USE_AGENT_STORE")); // rank 0 hosts the store, not an agent
    for (int rank = 1; rank < worldSize_; ++rank) {
        auto child = std::make_unique<Child>();
        child->rank = rank;
        auto *process = new QProcess(home_);
        child->process = process;
        environment.insert(QStringLiteral("RANK"), QString::number(rank));
        environment.insert(QStringLiteral("LOCAL_RANK"), QString::number(rank));
        process->setProcessEnvironment(environment);
        process->setProgram(executable_);
        process->setArguments({QStringLiteral("train"), configPath, QStringLiteral("--no-db")});
        // Only rank 0 prints progress; a child's stdout holds nothing the job needs.
        process->setStandardOutputFile(QProcess::nullDevice());
        Child *raw = child.get();
        connect(process, &QProcess::readyReadStandardError, home_, [this, raw] { readErrors(*raw, false); });
        connect(process, &QProcess::finished, home_, [this, raw](int exitCode, QProcess::ExitStatus status) {
            onExited(*raw, exitCode, status == QProcess::CrashExit);
        });
        children_.push_back(std::move(child));
        process->start();
        if (!process->waitForStarted(kStartTimeoutMs)) {
            *error = tr("cannot start rank %1: %2").arg(rank).arg(process->errorString());
            signalRunning(true);
            for (auto &started : children_)
                started->process->waitForFinished(5000);
            return;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            ++running_;
        }
        Q_EMIT rankStarted(rank, process->processId());
    }
}

void RankProcesses::readErrors(Child &child, bool flushPartial)
{
    child.partial += child.process->readAllStandardError();
    qsizetype newline = 0;
    const auto emitLine = [this, &child](const QByteArray &bytes) {
        const QString line = QString::fromUtf8(bytes).trimmed();
        if (line.isEmpty())
            return;
        child.lastLine = line;
        if (child.relayed < kMaxLinesPerRank) {
            ++child.relayed;
            Q_EMIT outputLine(child.rank, line);
        } else {
            ++child.dropped;
        }
    };
    while ((newline = child.partial.indexOf('\n')) >= 0) {
        emitLine(child.partial.left(newline));
        child.partial.remove(0, newline + 1);
    }
    if (flushPartial && !child.partial.isEmpty()) {
        emitLine(child.partial);
        child.partial.clear();
    }
}

void RankProcesses::onExited(Child &child, int exitCode, bool crashed)
{
    readErrors(child, true);
    if (child.dropped > 0)
        Q_EMIT outputLine(child.rank, tr("(%1 more lines not shown)").arg(child.dropped));
    RankExit exit{child.rank, crashed ? 128 + exitCode : exitCode, crashed, child.lastLine};
    Q_EMIT rankExited(exit); // before wait() can return: the job's last signal comes after this one
    {
        std::lock_guard<std::mutex> lock(mutex_);
        exits_.push_back(exit);
        --running_;
    }
    exited_.notify_all();
}

void RankProcesses::signalRunning(bool kill)
{
    for (auto &child : children_) {
        if (child->process->state() == QProcess::NotRunning)
            continue;
        if (kill)
            child->process->kill();
        else
            child->process->terminate();
    }
}

std::vector<RankExit> RankProcesses::wait(std::chrono::milliseconds grace)
{
    const auto allExited = [this] { return running_ == 0; };
    std::unique_lock<std::mutex> lock(mutex_);
    if (!exited_.wait_for(lock, grace, allExited)) {
        lock.unlock();
        runOn(home_, [this] { signalRunning(false); });
        lock.lock();
        if (!exited_.wait_for(lock, kKillAfterTerminate, allExited)) {
            lock.unlock();
            runOn(home_, [this] { signalRunning(true); });
            lock.lock();
            exited_.wait_for(lock, kKillAfterTerminate, allExited);
        }
    }
    auto exits = exits_;
    std::sort(exits.begin(), exits.end(), [](const RankExit &a, const RankExit &b) { return a.rank < b.rank; });
    return exits;
}

std::optional<RankExit> RankProcesses::firstFailure() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto &exit : exits_)
        if (exit.exitCode != 0 || exit.crashed)
            return exit;
    return std::nullopt;
}

} // namespace lwb::ui
