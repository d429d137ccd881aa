// See train_worker.h. The only GUI-side file that includes the Trainer (and so
// LibTorch); everything it sends out is a plain value.
#include "ui/train_worker.h"

#include "engine/adapters/variant_traits.h"
#include "engine/core/error.h"
#include "engine/dist/communicator.h"
#include "engine/dlp/dlp_study.h"
#include "engine/train/trainer.h"
#include "ui/guarded_recorder.h"
#include "ui/rank_processes.h"
#include "ui/train_event_forwarder.h"

#include <QCoreApplication>
#include <QDir>

#include <chrono>
#include <exception>

namespace lwb::ui {

namespace {

// A cancelled `lorawb train` exits with 130 (train_commands.cpp).
constexpr int kCancelledExitCode = 130;
// After rank 0's end, how long the children get beyond the collective timeout
// to end by themselves (as `lorawb launch` waits).
constexpr auto kChildGrace = std::chrono::seconds(30);

QString describeExit(const RankExit &exit)
{
    QString text = exit.crashed ? QObject::tr("rank %1 was killed by signal %2").arg(exit.rank).arg(exit.exitCode - 128)
                                : QObject::tr("rank %1 exited with status %2").arg(exit.rank).arg(exit.exitCode);
    if (!exit.lastLine.isEmpty())
        text += QStringLiteral(": ") + exit.lastLine;
    return text;
}

} // namespace

TrainWorker::TrainWorker(lwb::RunConfig config, std::string databasePath, JobRanks ranks, QObject *parent)
    : QObject(parent)
    , config_(std::move(config))
    , databasePath_(std::move(databasePath))
    , ranks_(std::move(ranks))
{
    if (ranks_.executable.isEmpty())
        ranks_.executable = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("lorawb"));
}

TrainWorker::~TrainWorker() = default;

void TrainWorker::requestStop()
{
    std::lock_guard<std::mutex> lock(trainerMutex_);
    stopRequested_ = true;
    if (trainer_)
        trainer_->requestStop();
    if (study_)
        study_->requestStop();
    pauseGate_.release();
}

void TrainWorker::setPaused(bool paused)
{
    pauseGate_.setPaused(paused);
}

void TrainWorker::run()
{
    JobEnd end;
    try {
        const bool study = lwb::isStudyVariant(config_.adapter.variant);
        if (study && ranks_.count > 1)
            throw lwb::Error("adapter.variant", "a DLP-LoRA study trains as one process; set Processes to 1");
        end = study ? runStudy() : runTraining();
    } catch (const std::exception &error) {
        // Building the job or its observers failed: nothing ran.
        end = {lwb::RunOutcome::Failed, QString::fromStdString(error.what())};
    } catch (...) {
        end = {lwb::RunOutcome::Failed, tr("unknown error")};
    }
    Q_EMIT finished(end.outcome, end.message);
}

void TrainWorker::forwardStartAndEvaluations(TrainEventForwarder &forwarder, const GuardedRecorder &recorder,
                                             bool &problemReported)
{
    connect(
        &forwarder, &TrainEventForwarder::runStarted, this,
        [this, &recorder, &problemReported](const lwb::RunInfo &info) {
            reportRecordingProblem(recorder, problemReported);
            Q_EMIT runStarted(info, recorder.runId());
        },
        Qt::DirectConnection);
    connect(&forwarder, &TrainEventForwarder::evaluated, this, &TrainWorker::evaluated, Qt::DirectConnection);
}

void TrainWorker::reportRecordingProblem(const GuardedRecorder &recorder, bool &reported)
{
    if (auto problem = recorder.error(); problem && !reported) {
        reported = true;
        Q_EMIT recordingProblem(QString::fromStdString(*problem));
    }
}

TrainWorker::JobEnd TrainWorker::runTraining()
{
    JobEnd end;
    // The recorder first: the run row exists before the GUI hears of the start.
    GuardedRecorder recorder(databasePath_);
    bool problemReported = false; // the recorder keeps only its first problem
    reportRecordingProblem(recorder, problemReported);

    TrainEventForwarder forwarder;
    forwardStartAndEvaluations(forwarder, recorder, problemReported);
    connect(&forwarder, &TrainEventForwarder::stepsReady, this, &TrainWorker::stepsReady, Qt::DirectConnection);
    connect(&forwarder, &TrainEventForwarder::checkpointWritten, this, &TrainWorker::checkpointWritten,
            Qt::DirectConnection);

    // A data-parallel job: ranks 1..N-1 start first, then rank 0 hosts the
    // rendezvous and waits for them (RankProcesses' destructor kills the
    // children when anything below throws).
    std::unique_ptr<RankProcesses> children;
    std::shared_ptr<lwb::Communicator> communicator;
    if (ranks_.count > 1) {
        children = std::make_unique<RankProcesses>(ranks_.executable, ranks_.count,
                                                   lwb::freeLoopbackPort("data-parallel job"));
        connect(children.get(), &RankProcesses::rankStarted, this, &TrainWorker::rankProcessStarted,
                Qt::DirectConnection);
        connect(children.get(), &RankProcesses::outputLine, this, &TrainWorker::rankOutput, Qt::DirectConnection);
        connect(
            children.get(), &RankProcesses::rankExited, this,
            [this](const RankExit &exit) { Q_EMIT rankProcessExited(exit.rank, exit.exitCode, exit.lastLine); },
            Qt::DirectConnection);
        children->start(config_);
        lwb::DistEnvironment environment;
        environment.rank = 0;
        environment.worldSize = ranks_.count;
        environment.localRank = 0;
        environment.localWorldSize = ranks_.count;
        environment.masterAddr = "127.0.0.1";
        environment.masterPort = children->masterPort();
        // Cancel, or a child that died, ends the wait at once instead of after the timeout.
        const auto abandon = [this, &children] {
            {
                std::lock_guard<std::mutex> lock(trainerMutex_);
                if (stopRequested_)
                    return true;
            }
            return children->firstFailure().has_value();
        };
        try {
            communicator = std::make_shared<lwb::Communicator>(
                environment, lwb::rankDevice(config_.device, environment),
                std::chrono::seconds(config_.training.collectiveTimeoutS), abandon);
        } catch (const lwb::RendezvousAbandoned &error) {
            if (const auto failure = children->firstFailure())
                throw lwb::Error(describeExit(*failure).toStdString(), error.what());
            return {lwb::RunOutcome::Cancelled, tr("cancelled while the ranks were meeting")};
        } catch (const std::exception &error) {
            // A child that died before the meeting says more than "did not join".
            if (const auto failure = children->firstFailure())
                throw lwb::Error(describeExit(*failure).toStdString(), error.what());
            throw;
        }
        Q_EMIT ranksJoined(communicator->worldSize(), QString::fromStdString(communicator->backendName()));
    }

    lwb::Trainer trainer(config_, communicator);
    if (recorder.isRecording())
        trainer.addObserver(&recorder);
    trainer.addObserver(&forwarder);
    // Last: the step is recorded and forwarded before the job waits at the gate.
    pauseGate_.setOnPause([this, &forwarder] {
        forwarder.flush();
        Q_EMIT heldAtPause(); // after the flushed steps: the GUI has them all when this arrives
    });
    trainer.addObserver(&pauseGate_);
    {
        std::lock_guard<std::mutex> lock(trainerMutex_);
        trainer_ = &trainer;
        if (stopRequested_)
            trainer.requestStop(); // Cancel came before the trainer existed
    }
    try {
        end.outcome = trainer.run();
    } catch (const std::exception &error) {
        end = {lwb::RunOutcome::Failed, QString::fromStdString(error.what())};
    }
    {
        std::lock_guard<std::mutex> lock(trainerMutex_);
        trainer_ = nullptr;
    }
    pauseGate_.setOnPause({}); // the forwarder goes out of scope
    forwarder.flush();
    if (end.message.isEmpty())
        end.message = forwarder.finishMessage();
    if (children) {
        const auto grace = std::chrono::seconds(config_.training.collectiveTimeoutS) + kChildGrace;
        end = withChildren(std::move(end), children->wait(grace));
    }
    reportRecordingProblem(recorder, problemReported);
    return end;
}

TrainWorker::JobEnd TrainWorker::withChildren(JobEnd end, const std::vector<RankExit> &exits)
{
    // Rank 0's failure is the engine's message, which names the failing rank;
    // a cancel is a cancel on every rank. A finished rank 0 with a child that
    // failed after the last collective (its own final evaluation): rank 0's
    // run is complete and recorded, so it stays finished and the log tells.
    if (end.outcome != lwb::RunOutcome::Finished)
        return end;
    for (const auto &exit : exits) {
        if (exit.exitCode == 0)
            continue;
        const QString problem
            = exit.exitCode == kCancelledExitCode && !exit.crashed
                  ? QObject::tr("rank %1 was stopped (status 130) after rank 0 finished").arg(exit.rank)
                  : describeExit(exit);
        end.message += (end.message.isEmpty() ? QString() : QStringLiteral("; ")) + problem;
    }
    return end;
}

} // namespace lwb::ui
