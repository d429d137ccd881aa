// recordExportArtifacts: each exported file is recorded with its kind, path,
// size and SHA-256 (checked against the one-shot hash of its bytes), all of
// an export or none: a missing file or an unknown run records nothing.
#include "storage/export_artifacts.h"
#include "storage/run_store.h"
#include "storage/sha256.h"

#include "engine/core/error.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <fstream>

using namespace lwb::storage;

namespace {

lwb::ExportResult writeExport(const QTemporaryDir &dir, const std::vector<std::pair<std::string, std::string>> &files)
{
    lwb::ExportResult result;
    result.folder = dir.filePath("export").toStdString();
    result.format = "peft";
    result.artifactKind = "peft_adapter";
    QDir().mkpath(QString::fromStdString(result.folder));
    for (const auto &[name, contents] : files) {
        const auto path = result.folder + "/" + name;
        std::ofstream(path, std::ios::binary) << contents;
        result.files.push_back({path, name});
    }
    return result;
}

} // namespace

class ExportArtifactsTest : public QObject
{
    Q_OBJECT

private slots:
    void everyFileIsRecordedWithItsChecksum()
    {
        QTemporaryDir dir;
        RunStore store(dir.filePath("runs.db").toStdString());
        NewRun run;
        run.name = "exported";
        run.variant = "lora";
        const auto runId = store.createRun(run);
        store.addArtifact(runId, "checkpoint", dir.filePath("runs.db").toStdString()); // an earlier artifact stays

        const std::string config = "{\"peft_type\": \"LORA\"}\n";
        const std::string weights(100'000, '\x7f');
        const auto result = writeExport(dir, {{"adapter_config.json", config}, {"adapter_model.safetensors", weights}});
        const auto recorded = recordExportArtifacts(store, runId, result);

        QCOMPARE(recorded.size(), std::size_t(2));
        QCOMPARE(recorded[0].kind, std::string("peft_adapter"));
        QCOMPARE(recorded[0].path, result.files[0].path);
        QCOMPARE(recorded[0].sha256, sha256Hex(config));
        QCOMPARE(recorded[0].sizeBytes, std::int64_t(config.size()));
        QCOMPARE(recorded[1].sha256, sha256Hex(weights));
        QCOMPARE(recorded[1].sizeBytes, std::int64_t(100'000));
        QCOMPARE(store.artifacts(runId).size(), std::size_t(3));
        QCOMPARE(store.artifacts(runId).front().kind, std::string("checkpoint"));
    }

    void allOrNothing()
    {
        QTemporaryDir dir;
        RunStore store(dir.filePath("runs.db").toStdString());
        NewRun run;
        run.name = "exported";
        const auto runId = store.createRun(run);

        auto result = writeExport(dir, {{"README.md", "# card\n"}});
        result.files.push_back({dir.filePath("export/vanished.safetensors").toStdString(), "vanished.safetensors"});
        try {
            recordExportArtifacts(store, runId, result);
            QFAIL("a missing file must be an error");
        } catch (const lwb::Error &error) {
            QVERIFY2(std::string(error.what()).find("vanished.safetensors") != std::string::npos, error.what());
        }
        QVERIFY(store.artifacts(runId).empty());

        result.files.pop_back();
        try {
            recordExportArtifacts(store, runId + 100, result);
            QFAIL("an unknown run must be an error");
        } catch (const lwb::Error &error) {
            QVERIFY2(std::string(error.what()).find("no run with id") != std::string::npos, error.what());
        }
        QVERIFY(store.artifacts(runId).empty());
        QCOMPARE(recordExportArtifacts(store, runId, result).size(), std::size_t(1));
    }

    // Hashing reports bytes done after each 1 MiB chunk and stops when asked;
    // a cancelled hashing records nothing.
    void hashingReportsProgressAndCancels()
    {
        QTemporaryDir dir;
        RunStore store(dir.filePath("runs.db").toStdString());
        NewRun run;
        run.name = "big export";
        const auto runId = store.createRun(run);
        const std::string weights(3 * (1 << 20) + 17, '\x11');
        const auto result = writeExport(dir, {{"adapter_model.safetensors", weights}, {"README.md", "card\n"}});
        const std::int64_t total = std::int64_t(weights.size()) + 5;

        std::vector<std::int64_t> reports;
        HashingControl control;
        control.progress = [&](std::int64_t done, std::int64_t all) {
            QCOMPARE(all, total);
            reports.push_back(done);
        };
        const auto recorded = recordExportArtifacts(store, runId, result, control);
        QCOMPARE(recorded.size(), std::size_t(2));
        QCOMPARE(recorded[0].sha256, sha256Hex(weights));
        QCOMPARE(reports, (std::vector<std::int64_t>{1 << 20, 2 << 20, 3 << 20, std::int64_t(weights.size()), total}));

        std::atomic<bool> cancelled{false};
        control.cancelled = &cancelled;
        control.progress = [&](std::int64_t done, std::int64_t) {
            if (done >= (2 << 20))
                cancelled.store(true); // as if the user pressed Cancel after two chunks
        };
        QVERIFY_THROWS_EXCEPTION(HashingCancelled, recordExportArtifacts(store, runId, result, control));
        QCOMPARE(store.artifacts(runId).size(), std::size_t(2)); // only the first export's files
    }
};

QTEST_APPLESS_MAIN(ExportArtifactsTest)
#include "export_artifacts_test.moc"
