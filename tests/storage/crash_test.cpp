// Crash safety across processes: a recording child killed with SIGKILL
// mid-run leaves a database that opens, passes integrity_check, holds every
// sample the child reported as flushed, and reads the run as `interrupted`;
// two children recording different runs into one file at the same time lose
// nothing and report no error; opening a second store on a file this process
// already holds keeps the process's locks, so another process's close leaves
// the write-ahead log alone.
#include "store_test_support.h"

#include "storage/metric_reader.h"
#include "storage/metric_samples.h"
#include "storage/run_store.h"
#include "storage/sqlite_database.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace lwb::storage;

namespace {

QProcess *startChild(QObject *parent, const QString &db, const QString &name, int steps, int pauseMicros)
{
    auto *child = new QProcess(parent);
    child->setProgram(QStringLiteral(LWB_RECORD_CHILD));
    child->setArguments({db, name, QString::number(steps), QString::number(pauseMicros)});
    child->start();
    return child;
}

} // namespace

class CrashTest : public QObject
{
    Q_OBJECT

private slots:
    void killedMidRunKeepsEveryFlushedSample()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath("runs.db");
        QProcess *child = startChild(this, db, "doomed", 1000000, 200);
        QVERIFY(child->waitForStarted(-1));

        // Read the child's reports until enough has been flushed, then kill it.
        std::int64_t runId = 0;
        std::int64_t flushed = 0;
        auto readReports = [&] {
            while (child->canReadLine()) {
                const QByteArray line = child->readLine().trimmed();
                if (line.startsWith("run "))
                    runId = line.mid(4).toLongLong();
                else if (line.startsWith("flushed "))
                    flushed = std::max<std::int64_t>(flushed, line.mid(8).toLongLong());
            }
        };
        // Waits on the child's own reports, with no deadline of ours: a child
        // that stops reporting hangs the test until CTest's timeout, one
        // that ends early fails it here.
        while (flushed < 300 && child->state() == QProcess::Running) {
            child->waitForReadyRead(-1);
            readReports();
        }
        QVERIFY2(flushed >= 300, "the child ended before it flushed 300 steps");
        child->kill(); // SIGKILL: no destructor, no final flush
        QVERIFY(child->waitForFinished(-1));
        QCOMPARE(child->exitStatus(), QProcess::CrashExit);
        readReports(); // reports written before the kill
        QVERIFY(runId > 0);

        RunStore store(db.toStdString());
        QCOMPARE(store.database().queryText("PRAGMA integrity_check"), std::string("ok"));
        const RunRecord run = store.run(runId);
        QCOMPARE(run.status, RunStatus::Interrupted);
        QVERIFY(run.statusMessage.find("PID") != std::string::npos);

        // Every flushed step is there in every series, without holes; a flush
        // is one transaction, so what is there is a whole prefix of steps.
        MetricReader reader(store);
        const auto loss = reader.scalarSeries(runId, series::kTrainLoss);
        QVERIFY(std::int64_t(loss.size()) >= flushed);
        for (std::size_t i = 0; i < loss.size(); ++i)
            QCOMPARE(loss[i].step, std::int64_t(i + 1));
        const std::int64_t lastStep = loss.back().step;
        const std::int64_t perStep = std::int64_t(sampleCount(test::makeStep(1, 2)));
        QCOMPARE(reader.scalarSampleCount(runId) + reader.vectorSampleCount(runId), lastStep * perStep);
        for (const std::string &name : reader.scalarSeriesNames(runId))
            QCOMPARE(std::int64_t(reader.scalarSeries(runId, name).size()), lastStep);
    }

    void twoProcessesOneFile()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath("shared.db");
        const int steps = 3000;
        QProcess *a = startChild(this, db, "process a", steps, 0);
        QProcess *b = startChild(this, db, "process b", steps, 0);
        for (QProcess *child : {a, b}) {
            QVERIFY(child->waitForFinished(-1)); // no deadline of ours: CTest's timeout
            const QByteArray errors = child->readAllStandardError();
            QVERIFY2(errors.isEmpty(), errors.constData());
            QCOMPARE(child->exitStatus(), QProcess::NormalExit);
            QCOMPARE(child->exitCode(), 0);
        }

        RunStore store(db.toStdString());
        QCOMPARE(store.database().queryText("PRAGMA integrity_check"), std::string("ok"));
        const std::vector<RunRecord> runs = store.listRuns();
        QCOMPARE(runs.size(), std::size_t(2));
        MetricReader reader(store);
        const std::int64_t perStep = std::int64_t(sampleCount(test::makeStep(1, 2)));
        for (const RunRecord &run : runs) {
            QCOMPARE(run.status, RunStatus::Finished);
            QCOMPARE(reader.scalarSampleCount(run.id) + reader.vectorSampleCount(run.id), steps * perStep);
            QCOMPARE(reader.scalarSeries(run.id, series::kTrainLoss).size(), std::size_t(steps));
        }
    }

    void secondOpenKeepsTheLocks()
    {
        // Regression: the opener read the file's header through an ifstream,
        // whose close dropped the POSIX locks of this process's first
        // connection; a child then closing its own connection took itself for
        // the last one and deleted -wal and -shm under the first store, whose
        // next write failed with "disk I/O error".
        QTemporaryDir dir;
        const QString db = dir.filePath("held.db");
        RunStore held(db.toStdString());
        NewRun run;
        run.name = "held";
        run.variant = "lora";
        const std::int64_t runId = held.createRun(run);
        {
            RunStore second(db.toStdString());
        } // what lorawb study does per run (its recorder's store)
        QProcess *child = startChild(this, db, "visitor", 5, 0);
        QVERIFY(child->waitForFinished(-1));
        QCOMPARE(child->exitCode(), 0);
        QVERIFY2(QFile::exists(db + "-wal"), "the child's close deleted the write-ahead log under an open store");
        held.setNotes(runId, "still writable"); // threw "disk I/O error" before the fix
        QCOMPARE(held.run(runId).notes, std::string("still writable"));
        QCOMPARE(held.database().queryText("PRAGMA integrity_check"), std::string("ok"));
    }
};

QTEST_GUILESS_MAIN(CrashTest)
#include "crash_test.moc"
