// RunRecorder: the bounded queue on the trainer's side and the writer thread
// on the store's side (policy and guarantees in the header).
#include "storage/run_recorder.h"

#include "storage/process_identity.h"
#include "storage/run_store.h"
#include "storage/sample_writer.h"
#include "storage/sha256.h"
#include "storage/sqlite_database.h"

#include <algorithm>
#include <map>

#ifndef LWB_STORAGE_PROGRAM_VERSION
#define LWB_STORAGE_PROGRAM_VERSION "unknown"
#endif

namespace lwb::storage {

namespace {

constexpr auto kIdleHeartbeat = std::chrono::seconds(2);
constexpr int kFinalBusyRetries = 5;

RunStatus statusOf(RunOutcome outcome)
{
    switch (outcome) {
    case RunOutcome::Finished:
        return RunStatus::Finished;
    case RunOutcome::Cancelled:
        return RunStatus::Cancelled;
    case RunOutcome::Failed:
        return RunStatus::Failed;
    }
    return RunStatus::Failed;
}

} // namespace

RunRecorder::RunRecorder(const std::string &databasePath, RecorderOptions options)
    : options_(std::move(options))
    , store_(std::make_unique<RunStore>(databasePath, options_.store))
    , writer_(std::make_unique<SampleWriter>(store_->database()))
{
    if (options_.programVersion.empty())
        options_.programVersion = LWB_STORAGE_PROGRAM_VERSION;
    options_.flushSamples = std::max<std::size_t>(1, options_.flushSamples);
}

RunRecorder::~RunRecorder()
{
    if (thread_.joinable())
        finishAndJoin(FinishEvent{RunStatus::Interrupted, "the recorder closed before the run finished"});
}

void RunRecorder::onRunStarted(const RunInfo &info)
{
    if (thread_.joinable())
        return; // one run per recorder

    NewRun fields;
    fields.name = info.name;
    fields.variant = info.variant;
    fields.configJson = info.configJson;
    fields.seed = info.seed;
    fields.device = info.device;
    fields.programVersion = options_.programVersion;
    fields.tags = options_.tags;
    fields.notes = options_.notes;
    fields.parentRunId = options_.parentRunId;
    fields.status = RunStatus::Running;
    fields.totalSteps = info.totalSteps;
    fields.startStep = info.startStep;
    fields.trainableParameters = info.trainableParameters;
    fields.totalParameters = info.totalParameters;

    std::int64_t runId = options_.runId;
    if (runId != 0) {
        store_->updateRun(runId, fields);
        if (!options_.tags.empty())
            store_->addTags(runId, options_.tags);
        if (!options_.notes.empty())
            store_->setNotes(runId, options_.notes);
    } else {
        runId = store_->createRun(fields);
    }
    store_->markRunStarted(runId, currentProcess());
    runId_ = runId;
    startTime_ = std::chrono::steady_clock::now();
    lastHeartbeat_ = startTime_;
    thread_ = std::thread([this] { writerLoop(); });
    std::lock_guard<std::mutex> lock(mutex_);
    started_ = true;
}

bool RunRecorder::push(Event event, std::size_t samples, bool droppable)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_ || finishQueued_ || writerDone_)
        return false;
    if (droppable && queuedSamples_ + samples > options_.queueCapacity) {
        droppedSamples_ += static_cast<std::int64_t>(samples);
        return false;
    }
    queue_.push_back(std::move(event));
    queuedSamples_ += samples;
    ++enqueued_;
    if (queuedSamples_ >= options_.flushSamples)
        wake_.notify_one();
    return true;
}

void RunRecorder::onStep(const StepMetrics &metrics)
{
    stopIfWritesFailed();
    push(metrics, sampleCount(metrics), true);
}

void RunRecorder::onEval(const EvalMetrics &metrics)
{
    stopIfWritesFailed();
    const std::size_t merged = metrics.hasMergedEval ? 4 + 2 * metrics.mergedExactMatchByTask.size() : 0;
    push(EvalEvent{metrics, secondsSinceStart()}, 5 + 2 * metrics.exactMatchByTask.size() + merged, false);
}

void RunRecorder::onCheckpoint(std::int64_t step, const std::string &path)
{
    stopIfWritesFailed();
    push(CheckpointEvent{step, path}, 1, false);
}

void RunRecorder::onRunFinished(RunOutcome outcome, const std::string &message)
{
    if (thread_.joinable())
        finishAndJoin(FinishEvent{statusOf(outcome), message});
}

void RunRecorder::finishAndJoin(FinishEvent finish)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!finishQueued_ && !writerDone_) {
            queue_.push_back(std::move(finish));
            ++enqueued_;
            finishQueued_ = true;
        }
        wake_.notify_one();
    }
    thread_.join();
}

void RunRecorder::flush()
{
    std::unique_lock<std::mutex> lock(mutex_);
    if (!started_)
        return;
    const std::uint64_t target = enqueued_;
    flushRequested_ = true;
    wake_.notify_one();
    flushed_.wait(lock, [&] { return committed_ >= target || writerDone_; });
}

std::optional<std::string> RunRecorder::error() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
}

void RunRecorder::recordError(const std::string &message)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_)
        error_ = message;
}

void RunRecorder::recordWriteFailure(const Error &error)
{
    recordError(error.what());
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writeFailed_.load()) {
        writeFailure_ = error.reason();
        writeFailed_ = true;
    }
}

void RunRecorder::stopIfWritesFailed() const
{
    if (!options_.stopTrainingOnWriteError || !writeFailed_.load())
        return;
    std::string reason;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        reason = writeFailure_;
    }
    throw Error(store_->path(), "cannot record the run any more (" + reason
                                    + "); training stopped so that no step goes unrecorded. What was recorded "
                                      "before is kept; free space or make the file writable, then resume from "
                                      "the last checkpoint");
}

double RunRecorder::secondsSinceStart() const
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - startTime_).count();
}

void RunRecorder::writerLoop()
{
    int finalBusyRetries = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait_for(lock, options_.flushInterval,
                       [&] { return finishQueued_ || flushRequested_ || queuedSamples_ >= options_.flushSamples; });
        std::vector<Event> events;
        events.swap(queue_);
        const std::size_t samples = queuedSamples_;
        queuedSamples_ = 0;
        flushRequested_ = false;
        const std::uint64_t target = enqueued_;
        const bool finishing = finishQueued_;
        lock.unlock();

        const auto now = std::chrono::steady_clock::now();
        bool written = true;
        if (!events.empty() || now - lastHeartbeat_ >= kIdleHeartbeat) {
            written = writeEvents(events);
            if (written)
                lastHeartbeat_ = now;
        }

        lock.lock();
        if (written) {
            committed_ = target;
            flushed_.notify_all();
            if (finishing)
                break;
            continue;
        }
        // Busy past the timeout: keep the events, in order, for the next try.
        if (finishing && ++finalBusyRetries > kFinalBusyRetries) {
            error_ = error_.value_or(store_->path()
                                     + ": the database stayed locked by another process; "
                                       "the end of the run could not be recorded");
            droppedSamples_ += static_cast<std::int64_t>(samples);
            committed_ = target;
            break;
        }
        queue_.insert(queue_.begin(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
        queuedSamples_ += samples;
    }
    writerDone_ = true;
    flushed_.notify_all();
}

bool RunRecorder::writeEvents(const std::vector<Event> &events)
{
    const std::int64_t runId = runId_.load();
    SampleBatch batch;
    std::int64_t lastStep = lastFlushedStep_;
    const FinishEvent *finish = nullptr;
    std::vector<std::pair<const CheckpointEvent *, FileDigest>> checkpoints;
    for (const Event &event : events) {
        if (const auto *step = std::get_if<StepMetrics>(&event)) {
            appendSamples(*step, batch);
            lastStep = std::max(lastStep, step->step);
        } else if (const auto *eval = std::get_if<EvalEvent>(&event)) {
            appendSamples(eval->metrics, eval->wallSeconds, batch);
            lastStep = std::max(lastStep, eval->metrics.step);
        } else if (const auto *checkpoint = std::get_if<CheckpointEvent>(&event)) {
            // Hashed before the transaction: never hold the write lock for file I/O.
            try {
                checkpoints.emplace_back(checkpoint, sha256File(checkpoint->path));
            } catch (const Error &error) {
                recordError(std::string("checkpoint not recorded: ") + error.what());
            }
        } else {
            finish = &std::get<FinishEvent>(event);
        }
    }

    try {
        Transaction transaction(store_->database());
        writer_->write(runId, batch);
        for (const auto &[checkpoint, digest] : checkpoints)
            store_->addArtifact(runId, "checkpoint", checkpoint->path, digest);
        store_->heartbeat(runId);
        if (finish) {
            std::string message = finish->message;
            if (const std::int64_t dropped = droppedSamples_.load(); dropped > 0) {
                message += (message.empty() ? "" : "; ") + std::string("the recorder dropped ")
                           + std::to_string(dropped) + " samples (queue full or write errors)";
            }
            store_->finishRun(runId, finish->status, message);
        }
        transaction.commit();
    } catch (const DatabaseError &error) {
        writer_->forgetUncommitted();
        if (error.isBusy())
            return false;
        recordWriteFailure(error);
        droppedSamples_ += static_cast<std::int64_t>(batch.size());
        if (finish) {
            // The samples could not go in; the final status alone may still fit.
            try {
                store_->finishRun(runId, finish->status,
                                  finish->message + " (some samples were lost: " + error.reason() + ")");
            } catch (const Error &) {
            }
        }
        return true;
    } catch (const Error &error) { // never out of the writer thread
        writer_->forgetUncommitted();
        recordWriteFailure(error);
        droppedSamples_ += static_cast<std::int64_t>(batch.size());
        return true;
    } catch (const std::exception &error) {
        writer_->forgetUncommitted();
        recordError(error.what());
        droppedSamples_ += static_cast<std::int64_t>(batch.size());
        return true;
    }

    writtenSamples_ += static_cast<std::int64_t>(batch.size());
    ++flushCount_;
    lastFlushedStep_ = lastStep;
    if (options_.onFlushed && !events.empty())
        options_.onFlushed(lastStep);
    return true;
}

} // namespace lwb::storage
