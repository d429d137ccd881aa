// bench_gui's export stall of issue 23 (bound 50 ms): a short run of the
// built-in model trained in the main window, then exported as a merged model
// with every file hashed and recorded, measured by the heartbeat beside the
// time the old export dialog spent hashing on the GUI thread (one stall).
#include "bench_gui_harness.h"
#include "bench_gui_scenarios.h"

#include "storage/export_artifacts.h"
#include "storage/run_store.h"
#include "ui/export_runner.h"
#include "ui/job_controller.h"
#include "ui/main_window.h"
#include "ui/run_form.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cstdint>
#include <cstdio>
#include <filesystem>

namespace lwb::bench_gui {
namespace {

// A short trained run of the built-in model, recorded in `window`'s store.
bool trainShortRun(lwb::ui::MainWindow &window, const QTemporaryDir &dir, int threads)
{
    auto document = lwb::ui::RunForm::defaultDocument();
    document["name"] = "bench-export";
    document["threads"] = threads;
    document["training"]["steps"] = 2;
    document["training"]["warmup_steps"] = 0;
    document["eval"]["every"] = 0;
    document["data"]["eval_examples"] = 8;
    document["training"]["output_dir"] = dir.filePath(QStringLiteral("out-export")).toStdString();
    window.runForm()->setDocument(document);
    bool finished = false;
    bool ok = false;
    auto connection = QObject::connect(window.jobController(), &lwb::ui::JobController::jobFinished, &window,
                                       [&](qint64, lwb::RunOutcome outcome, const QString &) {
                                           finished = true;
                                           ok = outcome == lwb::RunOutcome::Finished;
                                       });
    window.startJob();
    while (!finished)
        QTest::qWait(20);
    QObject::disconnect(connection);
    return ok;
}

} // namespace

void benchExport(const QTemporaryDir &dir, int threads)
{
    const QString db = dir.filePath(QStringLiteral("export.db"));
    lwb::ui::MainWindow window(db);
    window.show();
    if (!trainShortRun(window, dir, threads)) {
        std::printf("export: the training run failed; skipped\n");
        return;
    }
    std::int64_t runId = 0;
    {
        lwb::storage::RunStore store(db.toStdString());
        runId = store.listRuns().front().id;
    }
    lwb::ui::ExportRunner runner;
    bool done = false;
    lwb::ExportResult written;
    QString problem;
    QObject::connect(&runner, &lwb::ui::ExportRunner::succeeded, &runner,
                     [&](const lwb::ExportResult &result, const std::vector<lwb::storage::ArtifactRecord> &,
                         const QString &recordingProblem) {
                         written = result;
                         problem = recordingProblem;
                         done = true;
                     });
    QObject::connect(&runner, &lwb::ui::ExportRunner::failed, &runner, [&](const QString &message) {
        problem = message;
        done = true;
    });
    lwb::ui::ExportChoices choices;
    choices.format = "merged";
    choices.destination = dir.filePath(QStringLiteral("exports")).toStdString();
    choices.name = "merged";
    choices.dtype = "float32";
    choices.maxShardBytes = 5000000000ULL;
    Heartbeat heartbeat;
    QElapsedTimer clock;
    const double stall = heartbeat.during(
        [&] {
            clock.start();
            runner.start(db, runId, choices);
        },
        [&] { return !done; });
    const double afterMs = msSince(clock);
    if (written.files.empty()) {
        std::printf("export: failed: %s\n", qPrintable(problem));
        return;
    }
    std::int64_t bytes = 0;
    for (const auto &file : written.files)
        bytes += static_cast<std::int64_t>(std::filesystem::file_size(file.path));
    // Before: the dialog hashed every file on the GUI thread after the export.
    lwb::storage::RunStore store(db.toStdString());
    clock.start();
    lwb::storage::recordExportArtifacts(store, runId, written);
    const double hashMs = msSince(clock);
    std::printf("export of a trained run as a merged model (%zu files, %.1f MiB):\n", written.files.size(),
                double(bytes) / (1024.0 * 1024.0));
    std::printf("  before: hashing and recording the files on the GUI thread took %.1f ms (one stall)\n", hashMs);
    std::printf("  after: export, hashing and recording on the export thread (%.1f ms), longest GUI-thread stall "
                "%.1f ms (bound 50 ms: %s)%s\n",
                afterMs, stall, verdict(stall), problem.isEmpty() ? "" : " (recording problem!)");
    heartbeat.printCpu();
    slowEvents().print();
}

} // namespace lwb::bench_gui
