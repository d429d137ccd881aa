// A run store that stops accepting writes in the middle of a run — the file
// turns read-only, or the disk fills — with the CLI's recorder policy
// (stopTrainingOnWriteError, the default): the training thread's next call
// into the recorder throws an lwb::Error that names the database file and the
// reason, so the trainer ends the run instead of training on unrecorded. Once
// the fault is gone the file passes PRAGMA integrity_check, the run stored
// before is exactly as it was (row, samples, evaluations, artifacts), and the
// failed run keeps every sample flushed before the fault. The faults come
// from FaultVfs (fault_vfs.h); the same faults from the real OS, through
// `lorawb train`, are tests/cli/test_storage_faults.sh.
#include "fault_vfs.h"
#include "store_test_support.h"

#include "storage/metric_reader.h"
#include "storage/run_recorder.h"
#include "storage/run_store.h"
#include "storage/sqlite_database.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace lwb::storage;
using namespace std::chrono_literals;
using test::FaultVfs;
using test::WriteFault;

namespace {

// Everything stored about one run, as text: equal snapshots, unchanged run.
std::string snapshotOf(RunStore &store, std::int64_t runId)
{
    auto &db = store.database();
    const auto id = std::to_string(runId);
    return db.queryText("SELECT quote(name) || quote(variant) || quote(status) || quote(status_message) || "
                        "quote(config_json) || quote(started_at) || quote(finished_at) || quote(notes) "
                        "FROM runs WHERE id = "
                        + id)
           + "|"
           + db.queryText("SELECT count(*) || '/' || quote(total(value)) || '/' || quote(max(step)) || '/' || "
                          "quote(total(wall_seconds)) FROM scalar_samples WHERE run_id = "
                          + id)
           + "|"
           + db.queryText("SELECT count(*) || '/' || quote(total(length(values_f32))) FROM vector_samples "
                          "WHERE run_id = "
                          + id)
           + "|" + db.queryText("SELECT count(*) || '/' || quote(total(value)) FROM evaluations WHERE run_id = " + id)
           + "|"
           + db.queryText("SELECT count(*) || '/' || quote(group_concat(path)) FROM artifacts WHERE run_id = " + id)
           + "|" + db.queryText("SELECT quote(group_concat(tag)) FROM run_tags WHERE run_id = " + id);
}

std::int64_t scalarCount(const std::string &path, std::int64_t runId)
{
    RunStore store(path);
    return MetricReader(store).scalarSampleCount(runId);
}

} // namespace

class StorageFaultsTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { FaultVfs::install(); }
    void cleanup() { FaultVfs::setFault(WriteFault::None); }

    void readOnlyDuringARunStopsIt() { faultDuringARunStopsIt(WriteFault::ReadOnly, "readonly"); }
    void diskFullDuringARunStopsIt() { faultDuringARunStopsIt(WriteFault::DiskFull, "full"); }

    // The GUI's policy: the same fault never reaches the training thread.
    void guiPolicyTrainsOn()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("runs.db")).toStdString();
        RecorderOptions options;
        options.flushInterval = 5ms;
        options.stopTrainingOnWriteError = false;
        RunRecorder recorder(path, options);
        recorder.onRunStarted(test::makeRunInfo("gui run"));
        recorder.onStep(test::makeStep(1));
        recorder.flush();
        FaultVfs::setFault(WriteFault::DiskFull);
        for (std::int64_t step = 2; step <= 50; ++step) {
            recorder.onStep(test::makeStep(step)); // never throws
            recorder.flush();
        }
        QVERIFY(recorder.error().has_value());
        FaultVfs::setFault(WriteFault::None);
        recorder.onRunFinished(lwb::RunOutcome::Finished, "");
        RunStore store(path);
        QCOMPARE(store.database().queryText("PRAGMA integrity_check"), std::string("ok"));
    }

private:
    void faultDuringARunStopsIt(WriteFault fault, const std::string &reasonWord)
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("runs.db")).toStdString();

        // A run stored before, whole: steps with routing, an evaluation, a checkpoint.
        std::int64_t earlierId = 0;
        std::string earlier;
        {
            const std::string checkpoint = dir.filePath(QStringLiteral("adapter.safetensors")).toStdString();
            std::ofstream(checkpoint) << "checkpoint bytes";
            RunRecorder recorder(path);
            recorder.onRunStarted(test::makeRunInfo("stored before"));
            for (std::int64_t step = 1; step <= 40; ++step)
                recorder.onStep(test::makeStep(step, 2));
            recorder.onEval(test::makeEval(40, 1.5, {{"first", 0.5}}));
            recorder.onCheckpoint(40, checkpoint);
            recorder.onRunFinished(lwb::RunOutcome::Finished, "");
            QVERIFY(!recorder.error());
            earlierId = recorder.runId();
            RunStore store(path);
            earlier = snapshotOf(store, earlierId);
        }

        RecorderOptions options;
        options.flushInterval = 5ms;
        RunRecorder recorder(path, options);
        recorder.onRunStarted(test::makeRunInfo("stopped by the store"));
        for (std::int64_t step = 1; step <= 10; ++step)
            recorder.onStep(test::makeStep(step, 2));
        recorder.flush(); // steps 1..10 are on disk
        const std::int64_t flushedBefore = scalarCount(path, recorder.runId());
        QVERIFY(flushedBefore > 0);
        FaultVfs::setFault(fault);

        std::string message;
        std::int64_t step = 11;
        for (; step <= 1000 && message.empty(); ++step) {
            try {
                recorder.onStep(test::makeStep(step, 2));
                recorder.flush();
            } catch (const lwb::Error &error) {
                message = error.what();
            }
        }
        QVERIFY2(!message.empty(), "the fault never stopped the training thread");
        QVERIFY2(step <= 13, ("stopped only at step " + std::to_string(step)).c_str()); // the flush after the fault
        QVERIFY2(message.find(path) != std::string::npos, message.c_str());
        QVERIFY2(message.find(reasonWord) != std::string::npos, message.c_str());
        QVERIFY2(message.find("training stopped") != std::string::npos, message.c_str());
        // The trainer's part after an observer throws: every observer hears the failure.
        recorder.onRunFinished(lwb::RunOutcome::Failed, message);
        const auto failedId = recorder.runId();

        FaultVfs::setFault(WriteFault::None);
        RunStore store(path);
        QCOMPARE(store.database().queryText("PRAGMA integrity_check"), std::string("ok"));
        QCOMPARE(snapshotOf(store, earlierId), earlier);
        // The failed run keeps what was flushed before the fault, and nothing after.
        QCOMPARE(MetricReader(store).scalarSampleCount(failedId), flushedBefore);
    }
};

QTEST_APPLESS_MAIN(StorageFaultsTest)
#include "storage_faults_test.moc"
