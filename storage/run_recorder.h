// RunRecorder: a TrainObserver that keeps a run in the store without ever
// making a training step wait for the disk.
//
// The trainer's thread only copies metrics into a bounded in-memory queue.
// One writer thread, with its own connection, drains the queue in one
// transaction per flush: every flushInterval (250 ms), as soon as
// flushSamples (4096) samples wait, and at the end. Each flush also refreshes
// the run's heartbeat, so a process that dies leaves a run that the next open
// marks `interrupted`, with every flushed sample intact (a flush is atomic).
//
// Queue full policy: when queueCapacity samples are waiting (the disk is
// slower than training for a long while), further *step* metrics are dropped
// and counted — training goes on at full speed and the run keeps a gap rather
// than stalling. Evaluations, checkpoints and the end of the run are never
// dropped. The count is in droppedSamples() and in the run's status message.
//
// Storage errors (disk full, read-only file, file gone) after the start are
// met on the writer thread, which keeps the first one in error(), drops what
// it cannot write, and still tries to record the final status. What the
// training does then is stopTrainingOnWriteError: by default (the CLI's rule)
// the next onStep, onEval or onCheckpoint throws lwb::Error naming the
// database and the reason, so the trainer ends the run as failed instead of
// training on with nothing recorded; the GUI sets it false and trains on,
// reporting error(). A database locked by another writer longer than the busy
// timeout is no error: it is retried on the next flush.
//
// Thread use: the constructor, onRunStarted and onRunFinished may block on
// the disk (they open the store, create the run row, and wait for the last
// flush); onStep, onEval and onCheckpoint never do.
#pragma once

#include "storage/metric_samples.h"
#include "storage/run_records.h"
#include "storage/store_opener.h"

#include "engine/core/error.h"
#include "engine/train/train_observer.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace lwb::storage {

class RunStore;
class SampleWriter;

struct RecorderOptions
{
    std::int64_t runId = 0;       // a queued run to record into; 0: create a run at onRunStarted
    std::int64_t parentRunId = 0; // resumed from / part of a study
    std::vector<std::string> tags;
    std::string notes;
    std::string programVersion; // empty: this build's version
    std::chrono::milliseconds flushInterval{250};
    std::size_t flushSamples = 4096;
    std::size_t queueCapacity = 1 << 18; // samples
    StoreOptions store;
    // After a storage error on the writer thread, the training thread's next
    // onStep / onEval / onCheckpoint throws (see the header comment).
    bool stopTrainingOnWriteError = true;
    // Called on the writer thread after each committed flush with the highest
    // step written so far (tests and progress displays). Must be quick.
    std::function<void(std::int64_t lastFlushedStep)> onFlushed;
};

class RunRecorder : public TrainObserver
{
public:
    // Opens the store (throws lwb::Error for a bad file, before any training).
    explicit RunRecorder(const std::string &databasePath, RecorderOptions options = {});
    // Ends the writer. A run that never saw onRunFinished is recorded as
    // `interrupted` ("recorder closed before the run finished").
    ~RunRecorder() override;
    RunRecorder(const RunRecorder &) = delete;
    RunRecorder &operator=(const RunRecorder &) = delete;

    void onRunStarted(const RunInfo &info) override;
    void onStep(const StepMetrics &metrics) override;
    void onEval(const EvalMetrics &metrics) override;
    void onCheckpoint(std::int64_t step, const std::string &path) override;
    void onRunFinished(RunOutcome outcome, const std::string &message) override;

    // Waits until everything queued so far is committed (tests, "save now").
    void flush();

    std::int64_t runId() const { return runId_.load(); }
    std::optional<std::string> error() const;
    std::int64_t droppedSamples() const { return droppedSamples_.load(); }
    std::int64_t writtenSamples() const { return writtenSamples_.load(); }
    std::int64_t flushCount() const { return flushCount_.load(); }

private:
    struct CheckpointEvent
    {
        std::int64_t step;
        std::string path;
    };
    struct EvalEvent
    {
        EvalMetrics metrics;
        double wallSeconds;
    };
    struct FinishEvent
    {
        RunStatus status;
        std::string message;
    };
    using Event = std::variant<StepMetrics, EvalEvent, CheckpointEvent, FinishEvent>;

    // Queues an event; a step event is dropped (false) when the queue is full.
    bool push(Event event, std::size_t samples, bool droppable);
    void finishAndJoin(FinishEvent finish);
    void writerLoop();
    // Writes a batch of events in one transaction; false when another writer
    // held the database past the busy timeout (nothing written, retry later).
    bool writeEvents(const std::vector<Event> &events);
    void recordError(const std::string &message);
    // A write the database refused (not a busy wait): the run cannot be kept.
    void recordWriteFailure(const Error &error);
    // Throws when a write failed and stopTrainingOnWriteError (training thread).
    void stopIfWritesFailed() const;
    double secondsSinceStart() const;

    RecorderOptions options_;
    std::unique_ptr<RunStore> store_;
    std::unique_ptr<SampleWriter> writer_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;    // writer: there is work
    std::condition_variable flushed_; // flush(): the writer caught up
    std::vector<Event> queue_;
    std::size_t queuedSamples_ = 0;
    std::uint64_t enqueued_ = 0;  // events pushed so far
    std::uint64_t committed_ = 0; // events written (or given up on) so far
    bool started_ = false;        // onRunStarted done, writer running
    bool flushRequested_ = false;
    bool finishQueued_ = false; // no events accepted after the finish event
    bool writerDone_ = false;
    std::optional<std::string> error_;

    std::thread thread_;
    std::atomic<std::int64_t> runId_{0};
    std::atomic<std::int64_t> droppedSamples_{0};
    std::atomic<bool> writeFailed_{false};
    std::string writeFailure_; // the first failed write's reason; guarded by mutex_
    std::atomic<std::int64_t> writtenSamples_{0};
    std::atomic<std::int64_t> flushCount_{0};
    std::int64_t lastFlushedStep_ = 0;                    // writer thread only
    std::chrono::steady_clock::time_point lastHeartbeat_; // writer thread only
    std::chrono::steady_clock::time_point startTime_;
};

} // namespace lwb::storage
