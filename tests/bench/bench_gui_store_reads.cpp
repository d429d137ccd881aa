// bench_gui's store-read stalls of issue 23 (bound 50 ms each): a run-browser
// refresh of 10,000 runs and a compare of 8 runs of 100,000 steps, each
// measured by the heartbeat beside the time the old synchronous code spent on
// the GUI thread for the same reads (its path timed directly: that time was
// one stall).
#include "bench_gui_harness.h"
#include "bench_gui_scenarios.h"

#include "storage/config_diff.h"
#include "storage/metric_reader.h"
#include "storage/metric_samples.h"
#include "storage/run_comparison.h"
#include "storage/run_store.h"
#include "storage/sample_writer.h"
#include "storage/sqlite_database.h"
#include "ui/compare_view.h"
#include "ui/main_window.h"
#include "ui/run_browser.h"

#include <nlohmann/json.hpp>

#include <qcustomplot.h>

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace lwb::bench_gui {
namespace {

// A store of `runs` runs, each with 20 train steps and 4 evaluations (loss,
// exact match of two tasks), written directly in a few transactions.
void fillManyRuns(const std::string &path, int runs)
{
    lwb::storage::RunStore store(path);
    lwb::storage::SampleWriter writer(store.database());
    nlohmann::json config = {{"adapter", {{"r", 8}, {"alpha", 16}}}, {"training", {{"lr", 1e-3}}}};
    for (int first = 0; first < runs; first += 1000) {
        lwb::storage::Transaction transaction(store.database());
        for (int i = first; i < std::min(runs, first + 1000); ++i) {
            lwb::storage::NewRun run;
            run.name = "run-" + std::to_string(i);
            run.variant = i % 3 == 0 ? "sira" : "lora";
            config["training"]["lr"] = 1e-4 * (1 + i % 30);
            run.configJson = config.dump();
            run.status = lwb::storage::RunStatus::Finished;
            const auto id = store.createRun(run);
            lwb::storage::SampleBatch batch;
            for (int step = 1; step <= 20; ++step) {
                lwb::StepMetrics metrics;
                metrics.step = step;
                metrics.loss = 3.0 / (1.0 + 0.01 * step) + 0.001 * i;
                metrics.tokens = step * 512;
                lwb::storage::appendSamples(metrics, batch);
                if (step % 5 == 0) {
                    lwb::EvalMetrics eval;
                    eval.step = step;
                    eval.loss = metrics.loss + 0.1;
                    eval.perplexity = std::exp(eval.loss);
                    eval.exactMatchByTask = {{"first", 0.01 * step}, {"length", 0.02 * step}};
                    lwb::storage::appendSamples(eval, double(step), batch);
                }
            }
            writer.write(id, batch);
        }
        transaction.commit();
    }
}

// The old refresh: a list, then every run's summaries, on the GUI thread.
double oldRefreshMs(const std::string &path)
{
    lwb::storage::RunStore store(path);
    QElapsedTimer clock;
    clock.start();
    lwb::storage::MetricReader reader(store);
    std::size_t rows = 0;
    for (const auto &run : store.listRuns()) {
        const auto config = nlohmann::json::parse(run.configJson, nullptr, false);
        if (config.is_object())
            rows += lwb::storage::flattenJson(config).size() > 0 ? 1 : 0;
        rows += reader.summaries(run.id).size();
    }
    return rows > 0 ? msSince(clock) : 0.0;
}

} // namespace

void benchBrowserRefresh(const QTemporaryDir &dir, int runs)
{
    const std::string path = dir.filePath(QStringLiteral("many-runs.db")).toStdString();
    QElapsedTimer fill;
    fill.start();
    fillManyRuns(path, runs);
    std::printf("run browser refresh, %d runs (store filled in %.1f s):\n", runs, msSince(fill) / 1000.0);
    std::printf("  before: the per-run summaries on the GUI thread took %.1f ms (one stall)\n", oldRefreshMs(path));
    lwb::ui::MainWindow window(QString::fromStdString(path));
    window.resize(1360, 860);
    window.show();
    auto *browser = window.runBrowser();
    while (browser->isBusy())
        QTest::qWait(5);
    Heartbeat heartbeat;
    QElapsedTimer clock;
    const double stall = heartbeat.during(
        [&] {
            clock.start();
            browser->refresh();
        },
        [&] { return browser->isBusy(); });
    std::printf("  after: one query on the store thread; refresh shown after %.1f ms, longest GUI-thread stall "
                "%.1f ms (%d rows; bound 50 ms: %s)\n",
                msSince(clock), stall, browser->visibleRunCount(), verdict(stall));
    heartbeat.printCpu();
    slowEvents().print();
}

// keptStore: where the 8-run store is written and left (for a screenshot of the
// same compare: lora-workbench --db PATH --compare 1,2,...,8); empty: a temporary file.
void benchCompare(const QTemporaryDir &dir, int steps, const QString &keptStore)
{
    const std::string path
        = (keptStore.isEmpty() ? dir.filePath(QStringLiteral("long-runs.db")) : keptStore).toStdString();
    QFile::remove(QString::fromStdString(path));
    QVector<qint64> ids;
    QElapsedTimer fill;
    fill.start();
    {
        lwb::storage::RunStore store(path);
        lwb::storage::SampleWriter writer(store.database());
        for (int r = 0; r < 8; ++r) {
            lwb::storage::NewRun run;
            run.name = "long-" + std::to_string(r);
            run.variant = "lora";
            run.configJson = nlohmann::json{{"training", {{"lr", 1e-3 * (r + 1)}}}}.dump();
            const auto id = store.createRun(run);
            ids << id;
            for (int first = 1; first <= steps; first += 10000) {
                lwb::storage::SampleBatch batch;
                for (int step = first; step < first + 10000 && step <= steps; ++step) {
                    lwb::StepMetrics metrics;
                    metrics.step = step;
                    metrics.loss = 3.0 / (1.0 + 0.001 * step) + 0.05 * std::sin(step * 0.37) + 0.01 * r;
                    metrics.tokens = std::int64_t(step) * 512;
                    metrics.learningRate = 1e-3;
                    lwb::storage::appendSamples(metrics, batch);
                }
                lwb::storage::Transaction transaction(store.database());
                writer.write(id, batch);
                transaction.commit();
            }
        }
    }
    std::printf("compare, 8 runs of %d steps (store filled in %.1f s):\n", steps, msSince(fill) / 1000.0);
    {
        lwb::storage::RunStore store(path);
        QElapsedTimer clock;
        clock.start();
        const auto comparison = lwb::storage::compareRuns(store, std::vector<std::int64_t>(ids.begin(), ids.end()));
        lwb::storage::MetricReader reader(store);
        lwb::storage::SeriesQuery query;
        query.maxPoints = lwb::ui::CompareView::kMaxPointsPerCurve;
        std::size_t points = comparison.series.size();
        for (qint64 id : ids) {
            points += reader.scalarSeries(id, lwb::storage::series::kTrainLoss, query).size();
            points += reader.evaluations(id).size();
        }
        std::printf("  before: the store reads on the GUI thread took %.1f ms (one stall; %zu values)\n",
                    msSince(clock), points);
    }
    lwb::ui::MainWindow window(QString::fromStdString(path));
    window.resize(1360, 860);
    window.show();
    while (window.runBrowser()->isBusy())
        QTest::qWait(5);
    auto *compare = window.compareView();
    Heartbeat heartbeat;
    QElapsedTimer clock;
    const double stall = heartbeat.during(
        [&] {
            clock.start();
            window.compareRuns(ids);
        },
        [&] { return compare->isLoading(); });
    std::printf("  after: reads on the store thread; curves shown after %.1f ms, longest GUI-thread stall %.1f ms "
                "(bound 50 ms: %s)\n",
                msSince(clock), stall, verdict(stall));
    heartbeat.printCpu();
    slowEvents().print();
    clock.start();
    const double axisStall = heartbeat.during([&] { compare->setXAxis(lwb::ui::CompareView::XAxis::Tokens); },
                                              [&] { return compare->isLoading(); });
    std::printf("  switching to tokens on x: shown after %.1f ms, longest stall %.1f ms (%s)\n", msSince(clock),
                axisStall, verdict(axisStall));
    heartbeat.printCpu();
    slowEvents().print();
    auto *plot = compare->curves();
    int drawn = 0;
    for (int i = 0; i < plot->graphCount(); ++i)
        drawn += plot->graph(i)->dataCount();
    std::printf("  the curves plot (%d graphs, %d points, %d px wide): %.1f ms per frame", plot->graphCount(), drawn,
                plot->axisRect()->width(), timeFrames(plot));
    plot->setPlottingHint(QCP::phFastPolylines, false);
    std::printf("; drawn as polylines (before): %.1f ms per frame\n", timeFrames(plot, 5));
    plot->setPlottingHint(QCP::phFastPolylines, true);
}

} // namespace lwb::bench_gui
