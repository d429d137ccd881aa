// Schema and opening: a new file gets the current schema in WAL mode with
// foreign keys on; a database made by every earlier schema version migrates
// with its data intact; and bad files (not SQLite, another program's SQLite,
// a newer schema, read-only, a folder, a full disk) are refused with an error
// that names the file — and are left byte for byte as they were.
#include "store_test_support.h"

#include "storage/run_store.h"
#include "storage/sample_writer.h"
#include "storage/scalar_rollups.h"
#include "storage/schema.h"
#include "storage/sqlite_database.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace lwb::storage;

namespace {

// Rows as a database of schema version 1 holds them: the v1 columns only.
void fillVersion1Rows(Database &database)
{
    database.execute(
        "INSERT INTO runs (id, name, variant, status, config_json, config_sha256, seed, device, created_at, "
        "started_at, finished_at, notes) VALUES "
        "(1, 'old finished', 'lora', 'finished', '{\"adapter\":{\"rank\":4}}', 'abc', 3, 'cpu', 1000.0, 1001.0, "
        "1100.0, 'kept'),"
        "(2, 'old running', 'sira', 'running', '{}', '', 0, 'cpu', 2000.0, 2001.0, NULL, '');"
        "INSERT INTO run_tags (run_id, tag) VALUES (1, 'baseline');"
        "INSERT INTO series (id, name) VALUES (1, 'train/loss');"
        "INSERT INTO scalar_samples (run_id, series_id, step, value, wall_seconds) VALUES "
        "(1, 1, 1, 2.5, 0.1), (1, 1, 2, 2.25, 0.2), (2, 1, 1, 3.0, 0.1);"
        "INSERT INTO evaluations (run_id, step, task, metric, value) VALUES (1, 2, 'all', 'loss', 2.3);"
        "INSERT INTO artifacts (run_id, kind, path, size_bytes, sha256, created_at) VALUES "
        "(1, 'peft_adapter', '/tmp/a.safetensors', 10, 'ff', 1100.0);");
}

void expectOpenFails(const std::string &path, const std::string &words)
{
    const std::string before = test::fileChecksum(path);
    try {
        RunStore store(path);
        QFAIL(("opening succeeded; expected: " + words).c_str());
    } catch (const lwb::Error &error) {
        QCOMPARE(error.where(), path);
        QVERIFY2(std::string(error.what()).find(words) != std::string::npos, error.what());
    }
    QCOMPARE(test::fileChecksum(path), before);
    QVERIFY(!std::filesystem::exists(path + "-wal") || std::filesystem::file_size(path + "-wal") == 0);
}

} // namespace

class SchemaTest : public QObject
{
    Q_OBJECT

private slots:
    void newFileGetsCurrentSchema()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("sub/folder/runs.db").toStdString(); // folders are created
        RunStore store(path);
        QCOMPARE(store.schemaVersion(), kSchemaVersion);
        Database &db = store.database();
        for (const char *table : {"runs", "run_tags", "series", "scalar_samples", "vector_samples", "evaluations",
                                  "artifacts", "schema_version"}) {
            auto query = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
            query.bind(1, table);
            QVERIFY(query.step());
            QVERIFY2(query.columnInt(0) == 1, table);
        }
        QCOMPARE(db.queryInt("SELECT count(*) FROM schema_version"), std::int64_t(kSchemaVersion));
    }

    void walForeignKeysAndBusyTimeoutAreOn()
    {
        QTemporaryDir dir;
        StoreOptions options;
        options.busyTimeoutMs = 4321;
        RunStore store(dir.filePath("runs.db").toStdString(), options);
        QCOMPARE(store.database().queryText("PRAGMA journal_mode"), std::string("wal"));
        QCOMPARE(store.database().queryInt("PRAGMA foreign_keys"), std::int64_t(1));
        QCOMPARE(store.database().queryInt("PRAGMA busy_timeout"), std::int64_t(4321));
        // Foreign keys are enforced, not just declared.
        QVERIFY_THROWS_EXCEPTION(
            lwb::Error, store.database().execute("INSERT INTO run_tags (run_id, tag) VALUES (12345, 'orphan')"));
    }

    void migratesFromEveryEarlierVersion_data()
    {
        QTest::addColumn<int>("fromVersion");
        for (int version = 1; version < kSchemaVersion; ++version)
            QTest::newRow(("v" + std::to_string(version)).c_str()) << version;
    }

    void migratesFromEveryEarlierVersion()
    {
        QFETCH(int, fromVersion);
        QTemporaryDir dir;
        const std::string path = dir.filePath("old.db").toStdString();
        {
            Database old(path, Database::OpenMode::ReadWriteCreate);
            migrate(old, fromVersion); // exactly what that release created
            QCOMPARE(readSchemaVersion(old), fromVersion);
            fillVersion1Rows(old);
        }

        RunStore store(path);
        QCOMPARE(store.schemaVersion(), kSchemaVersion);
        QCOMPARE(store.database().queryInt("SELECT count(*) FROM schema_version"), std::int64_t(kSchemaVersion));
        QCOMPARE(store.database().queryText("PRAGMA integrity_check"), std::string("ok"));
        QCOMPARE(store.database().queryInt("SELECT count(*) FROM pragma_foreign_key_check"), std::int64_t(0));

        const RunRecord finished = store.run(1);
        QCOMPARE(finished.name, std::string("old finished"));
        QCOMPARE(finished.status, RunStatus::Finished);
        QCOMPARE(finished.tags, std::vector<std::string>{"baseline"});
        QCOMPARE(finished.notes, std::string("kept"));
        QCOMPARE(finished.totalSteps, std::int64_t(0)); // v3 column, default
        QCOMPARE(finished.ownerPid, std::int64_t(0));   // v2 column, default
        QCOMPARE(store.database().queryInt("SELECT count(*) FROM scalar_samples WHERE run_id = 1"), std::int64_t(2));
        QCOMPARE(store.artifacts(1).size(), std::size_t(1));
        // v4 backfilled the rollups of the samples that were there (a file
        // made at v4 or later got them from the writer, which raw rows skip).
        if (fromVersion < 4) {
            QCOMPARE(store.database().queryInt("SELECT count(*) FROM scalar_rollups"), std::int64_t(2));
            QCOMPARE(store.database().queryInt("SELECT min_step FROM scalar_rollups WHERE run_id = 1"),
                     std::int64_t(2));
            QCOMPARE(store.database().queryInt("SELECT max_step FROM scalar_rollups WHERE run_id = 1"),
                     std::int64_t(1));
        }
        // v5: studies start empty.
        QCOMPARE(store.database().queryInt("SELECT count(*) FROM studies"), std::int64_t(0));

        // A run left `running` by an old release has no owner and no heartbeat:
        // it is interrupted, and its samples stay.
        const RunRecord running = store.run(2);
        QCOMPARE(running.status, RunStatus::Interrupted);
        QCOMPARE(store.database().queryInt("SELECT count(*) FROM scalar_samples WHERE run_id = 2"), std::int64_t(1));

        // New columns work after the upgrade.
        store.markRunStarted(1, currentProcess());
        QCOMPARE(store.run(1).ownerPid, currentProcess().pid);
    }

    void backfilledRollupsMatchTheLiveDefinition()
    {
        // Version 4 computes rollups of old samples in SQL; the writer computes
        // them in C++. Both must agree, ties and NaN included.
        QTemporaryDir dir;
        const std::string path = dir.filePath("old.db").toStdString();
        {
            Database old(path, Database::OpenMode::ReadWriteCreate);
            migrate(old, 3);
            old.execute("INSERT INTO runs (id, name, status, created_at) VALUES (1, 'r', 'finished', 0);"
                        "INSERT INTO series (id, name) VALUES (1, 'a'), (2, 'b');");
            Transaction transaction(old);
            auto insert = old.prepare("INSERT INTO scalar_samples VALUES (1, ?1, ?2, ?3, ?4)");
            for (std::int64_t step = -300; step < 3000; ++step) {
                for (std::int64_t series : {1, 2}) {
                    insert.bind(1, series).bind(2, step);
                    if ((step * series) % 97 == 5)
                        insert.bindNull(3); // NaN
                    else
                        insert.bind(3, double((step * 7 * series) % 13)); // many ties
                    insert.bind(4, 0.5 * double(step));
                    insert.run();
                }
            }
            old.execute("INSERT INTO scalar_samples VALUES (1, 2, 5000, NULL, 1.0)"); // a block of NaN only
            transaction.commit();
        }
        RunStore store(path);
        auto snapshot = [&] {
            std::string text;
            auto rows = store.database().prepare("SELECT * FROM scalar_rollups ORDER BY run_id, series_id, block");
            while (rows.step()) {
                for (int column = 0; column < 12; ++column)
                    text += (rows.isNull(column) ? std::string("null") : rows.columnText(column)) + " ";
                text += "\n";
            }
            return text;
        };
        const std::string backfilled = snapshot();
        QCOMPARE(store.database().queryInt("SELECT count(*) FROM scalar_rollups"), std::int64_t(2 * 14 + 1));
        RollupWriter writer(store.database());
        writer.refresh(1, 1, -300, 5000);
        writer.refresh(1, 2, -300, 5000);
        QCOMPARE(snapshot(), backfilled);
    }

    void migratedSchemaEqualsFreshSchema()
    {
        QTemporaryDir dir;
        auto schemaOf = [](Database &db) {
            std::string text;
            auto query = db.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name");
            while (query.step())
                text += query.columnText(0) + " " + query.columnText(1) + ": " + query.columnText(2) + "\n";
            return text;
        };
        const std::string oldPath = dir.filePath("old.db").toStdString();
        {
            Database old(oldPath, Database::OpenMode::ReadWriteCreate);
            migrate(old, 1);
        }
        RunStore migrated(oldPath);
        RunStore fresh(dir.filePath("fresh.db").toStdString());
        QCOMPARE(schemaOf(migrated.database()), schemaOf(fresh.database()));
    }

    void reopeningDoesNotMigrateAgain()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("runs.db").toStdString();
        {
            RunStore first(path);
        }
        RunStore second(path);
        QCOMPARE(second.database().queryInt("SELECT count(*) FROM schema_version"), std::int64_t(kSchemaVersion));
    }

    void notSqliteIsRejectedUntouched()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("notes.txt").toStdString();
        std::ofstream(path, std::ios::binary) << "These are my notes, not a database.\n" << std::string(5000, 'x');
        expectOpenFails(path, "not an SQLite database");
    }

    void malformedSqliteIsRejectedUntouched()
    {
        // The right header, then garbage: SQLite itself has to say no.
        QTemporaryDir dir;
        const std::string path = dir.filePath("broken.db").toStdString();
        std::string bytes("SQLite format 3", 16);
        for (int i = 0; i < 8192; ++i)
            bytes.push_back(static_cast<char>((i * 131 + 7) % 256));
        std::ofstream(path, std::ios::binary) << bytes;
        expectOpenFails(path, "left untouched");
    }

    void otherProgramsDatabaseIsRejectedUntouched()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("other.db").toStdString();
        {
            Database other(path, Database::OpenMode::ReadWriteCreate);
            other.execute("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ada');");
        }
        expectOpenFails(path, "not a LoRA Workbench run store");
    }

    void newerSchemaIsRejectedUntouched()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("future.db").toStdString();
        {
            RunStore store(path);
            store.createRun(test::namedRun("from the future"));
            store.database().execute(
                "INSERT INTO schema_version (version, applied_at, description) VALUES (99, 0, 'future')");
        }
        expectOpenFails(path, "newer");
    }

    void readOnlyFileIsRejectedUntouched()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("archive.db").toStdString();
        {
            RunStore store(path);
            store.createRun(test::namedRun("archived"));
        }
        QCOMPARE(::chmod(path.c_str(), 0444), 0);
        expectOpenFails(path, "read-only");
        ::chmod(path.c_str(), 0644);
    }

    void folderIsRejected()
    {
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString();
        QVERIFY_THROWS_EXCEPTION(lwb::Error, RunStore store(path));
    }

    void fullDiskIsAnErrorNamingTheFile()
    {
        // The size limit makes SQLite report SQLITE_FULL exactly as a full disk would.
        QTemporaryDir dir;
        const std::string path = dir.filePath("small.db").toStdString();
        StoreOptions options;
        options.maxDatabaseBytes = 256 * 1024;
        RunStore store(path, options);
        const std::int64_t runId = store.createRun(test::namedRun("big"));
        SampleWriter writer(store.database());
        SampleBatch batch;
        for (std::int64_t step = 0; step < 100000; ++step)
            batch.scalars.push_back(ScalarSample{"train/loss", step, 1.0, 0.0});
        try {
            Transaction transaction(store.database());
            writer.write(runId, batch);
            transaction.commit();
            QFAIL("the size limit was never reached");
        } catch (const lwb::Error &error) {
            QCOMPARE(error.where(), path);
            QVERIFY2(std::string(error.what()).find("full") != std::string::npos, error.what());
        }
        // The failed transaction rolled back; the store still works.
        QCOMPARE(store.database().queryInt("SELECT count(*) FROM scalar_samples"), std::int64_t(0));
        QCOMPARE(store.run(runId).name, std::string("big"));
    }
};

QTEST_APPLESS_MAIN(SchemaTest)
#include "schema_test.moc"
