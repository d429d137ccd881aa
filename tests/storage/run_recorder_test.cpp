// RunRecorder: batching (nothing on disk before a flush is due, one
// transaction per flush, everything at the end), timed flushes, the routing,
// eval and checkpoint records, the queue-full policy (drop and count, never
// block), attaching to a queued run, a recorder closed early, write errors
// that stay off the training thread, and two recorders writing one file.
#include "store_test_support.h"

#include "storage/metric_reader.h"
#include "storage/run_recorder.h"
#include "storage/run_store.h"
#include "storage/sqlite_database.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <thread>

using namespace lwb::storage;
using namespace std::chrono_literals;

namespace {

std::int64_t countScalars(const std::string &path, std::int64_t runId)
{
    RunStore store(path);
    return MetricReader(store).scalarSampleCount(runId);
}

} // namespace

class RunRecorderTest : public QObject
{
    Q_OBJECT

private slots:
    void init() { path_ = dir_.filePath("runs.db").toStdString(); }
    void cleanup()
    {
        for (const char *suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(path_ + suffix);
    }

    void batchesUntilAFlushIsDue()
    {
        RecorderOptions options;
        options.flushInterval = std::chrono::hours(1); // only the sample count triggers a flush
        options.flushSamples = 4096;
        // Whether a flush came too early is read afterwards from the first
        // flush's last step, with no sleep to give a wrong one time to happen.
        test::FlushWatch flushes;
        options.onFlushed = flushes.callback();
        RunRecorder recorder(path_, options);
        recorder.onRunStarted(test::makeRunInfo("batched"));
        const std::int64_t runId = recorder.runId();
        QVERIFY(runId > 0);
        {
            RunStore store(path_);
            QCOMPARE(store.run(runId).status, RunStatus::Running);
            QCOMPARE(store.run(runId).ownerPid, currentProcess().pid);
        }

        for (std::int64_t step = 1; step <= 100; ++step) // 500 samples: below the threshold
            recorder.onStep(test::makeStep(step));
        QCOMPARE(recorder.flushCount(), std::int64_t(0));
        QCOMPARE(countScalars(path_, runId), std::int64_t(0));

        for (std::int64_t step = 101; step <= 1000; ++step) // 5000 samples in all: one flush due
            recorder.onStep(test::makeStep(step));
        flushes.waitForStep(820); // 4096 samples at 5 a step
        QVERIFY(countScalars(path_, runId) >= 4096);

        recorder.onRunFinished(lwb::RunOutcome::Finished, "");
        QCOMPARE(recorder.writtenSamples(), std::int64_t(5000));
        QVERIFY(recorder.flushCount() <= 3); // batched, not per step
        // 5 samples a step: the first flush waited for 4096 samples, step 820.
        QVERIFY2(flushes.firstStep() >= 820, std::to_string(flushes.firstStep()).c_str());
        QVERIFY(!recorder.error().has_value());
        RunStore store(path_);
        const RunRecord run = store.run(runId);
        QCOMPARE(run.status, RunStatus::Finished);
        QVERIFY(run.finishedAt.has_value());
        QCOMPARE(run.totalSteps, std::int64_t(1000));
        QCOMPARE(run.trainableParameters, std::int64_t(1234));
        MetricReader reader(store);
        QCOMPARE(reader.scalarSampleCount(runId), std::int64_t(5000));
        QCOMPARE(reader.scalarSeries(runId, "train/loss").size(), std::size_t(1000));
        QCOMPARE(reader.scalarSeries(runId, "train/loss").back().value, test::makeStep(1000).loss);
    }

    void flushesOnTheTimer()
    {
        RecorderOptions options;
        options.flushInterval = 50ms;
        test::FlushWatch flushes;
        options.onFlushed = flushes.callback();
        RunRecorder recorder(path_, options);
        recorder.onRunStarted(test::makeRunInfo("timed"));
        for (std::int64_t step = 1; step <= 10; ++step)
            recorder.onStep(test::makeStep(step));
        flushes.waitForStep(10); // 50 samples, far below flushSamples: only the timer writes them
        QCOMPARE(countScalars(path_, recorder.runId()), std::int64_t(50));
        recorder.onRunFinished(lwb::RunOutcome::Cancelled, "stopped by the user");
        RunStore store(path_);
        QCOMPARE(store.run(recorder.runId()).status, RunStatus::Cancelled);
        QCOMPARE(store.run(recorder.runId()).statusMessage, std::string("stopped by the user"));
    }

    void recordsRoutingEvalAndCheckpoints()
    {
        const std::string checkpoint = dir_.filePath("step-20.safetensors").toStdString();
        std::ofstream(checkpoint, std::ios::binary) << std::string(1000, 'c');
        RunRecorder recorder(path_);
        recorder.onRunStarted(test::makeRunInfo("routed", "sira"));
        for (std::int64_t step = 1; step <= 20; ++step)
            recorder.onStep(test::makeStep(step, 3));
        recorder.onEval(lwb::EvalMetrics{20, 1.25, std::exp(1.25), 512, {{"copy", 0.5}}, {}});
        recorder.onCheckpoint(20, checkpoint);
        recorder.onRunFinished(lwb::RunOutcome::Finished, "");

        RunStore store(path_);
        MetricReader reader(store);
        const std::int64_t runId = recorder.runId();
        QCOMPARE(reader.vectorSampleCount(runId), std::int64_t(20 * 3));
        const auto load = reader.vectorSeries(runId, "routing/expert_load", "model.layers.2.mlp.down_proj");
        QCOMPARE(load.size(), std::size_t(20));
        QCOMPARE(load.front().values, test::makeStep(1, 3).adapter.layers[2].expertLoad);
        QCOMPARE(reader.scalarSeries(runId, "train/aux_loss").size(), std::size_t(20));
        QCOMPARE(reader.scalarSeries(runId, "eval/loss").front().value, 1.25);
        QCOMPARE(reader.evaluations(runId).size(), std::size_t(4)); // loss, perplexity, tokens, copy
        const auto artifacts = store.artifacts(runId);
        QCOMPARE(artifacts.size(), std::size_t(1));
        QCOMPARE(artifacts[0].kind, std::string("checkpoint"));
        QCOMPARE(artifacts[0].sha256, sha256Hex(std::string(1000, 'c')));
    }

    void fullQueueDropsStepsAndNeverBlocks()
    {
        RecorderOptions options;
        options.flushInterval = std::chrono::hours(1);
        options.flushSamples = 1000000; // the writer sleeps through all of it
        options.queueCapacity = 50;     // ten steps of five samples
        RunRecorder recorder(path_, options);
        recorder.onRunStarted(test::makeRunInfo("overflow"));
        // Never blocks: the writer sleeps for an hour, so an onStep that waited
        // for room would hang here (CTest's timeout), not pass slowly.
        for (std::int64_t step = 1; step <= 100; ++step)
            recorder.onStep(test::makeStep(step));
        recorder.onEval(lwb::EvalMetrics{100, 1.0, 2.7, 10, {}, {}}); // never dropped
        QCOMPARE(recorder.droppedSamples(), std::int64_t(90 * 5));
        recorder.onRunFinished(lwb::RunOutcome::Finished, "done");

        RunStore store(path_);
        MetricReader reader(store);
        const auto loss = reader.scalarSeries(recorder.runId(), "train/loss");
        QCOMPARE(loss.size(), std::size_t(10));
        QCOMPARE(loss.back().step, std::int64_t(10)); // the first steps were kept, later ones dropped
        QCOMPARE(reader.scalarSeries(recorder.runId(), "eval/loss").size(), std::size_t(1));
        const RunRecord run = store.run(recorder.runId());
        QCOMPARE(run.status, RunStatus::Finished);
        QVERIFY2(run.statusMessage.find("dropped 450 samples") != std::string::npos, run.statusMessage.c_str());
    }

    void attachesToAQueuedRun()
    {
        std::int64_t queued = 0;
        {
            RunStore store(path_);
            NewRun run;
            run.name = "queued first";
            run.tags = {"from-ui"};
            queued = store.createRun(run);
            QCOMPARE(store.run(queued).status, RunStatus::Queued);
        }
        RecorderOptions options;
        options.runId = queued;
        options.tags = {"sweep"};
        RunRecorder recorder(path_, options);
        recorder.onRunStarted(test::makeRunInfo("now running", "lora", 16));
        QCOMPARE(recorder.runId(), queued);
        recorder.onStep(test::makeStep(1));
        recorder.onRunFinished(lwb::RunOutcome::Failed, "NaN loss");
        RunStore store(path_);
        const RunRecord run = store.run(queued);
        QCOMPARE(run.name, std::string("now running"));
        QCOMPARE(run.status, RunStatus::Failed);
        QCOMPARE(run.statusMessage, std::string("NaN loss"));
        QCOMPARE(run.tags, (std::vector<std::string>{"from-ui", "sweep"}));
        QVERIFY(run.configJson.find("16") != std::string::npos);
        QCOMPARE(store.listRuns().size(), std::size_t(1));
    }

    void closedEarlyMeansInterrupted()
    {
        std::int64_t runId = 0;
        {
            RunRecorder recorder(path_);
            recorder.onRunStarted(test::makeRunInfo("abandoned"));
            recorder.onStep(test::makeStep(1));
            runId = recorder.runId();
        } // no onRunFinished
        RunStore store(path_);
        QCOMPARE(store.run(runId).status, RunStatus::Interrupted);
        QCOMPARE(MetricReader(store).scalarSampleCount(runId), std::int64_t(5));
    }

    void flushWaitsForTheWriter()
    {
        RecorderOptions options;
        options.flushInterval = std::chrono::hours(1);
        RunRecorder recorder(path_, options);
        recorder.onRunStarted(test::makeRunInfo("flushed"));
        recorder.onStep(test::makeStep(1));
        recorder.flush();
        QCOMPARE(countScalars(path_, recorder.runId()), std::int64_t(5));
        recorder.onRunFinished(lwb::RunOutcome::Finished, "");
    }

    void writeErrorsStayOffTheTrainingThread()
    {
        RecorderOptions options;
        options.store.maxDatabaseBytes = 200 * 1024; // a "disk" that fills up
        options.flushInterval = 10ms;
        options.stopTrainingOnWriteError = false; // the GUI's rule (storage_faults_test: the CLI's)
        RunRecorder recorder(path_, options);
        recorder.onRunStarted(test::makeRunInfo("full disk"));
        for (std::int64_t step = 1; step <= 20000; ++step)
            recorder.onStep(test::makeStep(step, 2)); // never throws
        recorder.onRunFinished(lwb::RunOutcome::Finished, "");
        QVERIFY(recorder.error().has_value());
        QVERIFY2(recorder.error()->find("full") != std::string::npos, recorder.error()->c_str());
        QVERIFY2(recorder.error()->find(path_) != std::string::npos, recorder.error()->c_str());
        QVERIFY(recorder.droppedSamples() > 0);
        RunStore store(path_);
        QCOMPARE(store.database().queryText("PRAGMA integrity_check"), std::string("ok"));
    }

    void badFileFailsBeforeTraining()
    {
        std::ofstream(path_, std::ios::binary) << "not a database at all, sorry";
        QVERIFY_THROWS_EXCEPTION(lwb::Error, RunRecorder recorder(path_));
    }

    void twoRecordersOneFile()
    {
        RecorderOptions options;
        options.flushInterval = 5ms;
        options.flushSamples = 64; // many small transactions to interleave
        RunRecorder first(path_, options);
        RunRecorder second(path_, options);
        first.onRunStarted(test::makeRunInfo("first"));
        second.onRunStarted(test::makeRunInfo("second"));
        auto train = [](RunRecorder &recorder) {
            for (std::int64_t step = 1; step <= 2000; ++step)
                recorder.onStep(test::makeStep(step, 1));
            recorder.onRunFinished(lwb::RunOutcome::Finished, "");
        };
        std::thread a(train, std::ref(first));
        std::thread b(train, std::ref(second));
        a.join();
        b.join();
        QVERIFY(!first.error().has_value());
        QVERIFY(!second.error().has_value());
        QCOMPARE(first.droppedSamples(), std::int64_t(0));
        const std::int64_t perRun = std::int64_t(2000 * lwb::storage::sampleCount(test::makeStep(1, 1)));
        RunStore store(path_);
        MetricReader reader(store);
        QCOMPARE(reader.scalarSampleCount(first.runId()) + reader.vectorSampleCount(first.runId()), perRun);
        QCOMPARE(reader.scalarSampleCount(second.runId()) + reader.vectorSampleCount(second.runId()), perRun);
    }

private:
    QTemporaryDir dir_;
    std::string path_;
};

QTEST_APPLESS_MAIN(RunRecorderTest)
#include "run_recorder_test.moc"
