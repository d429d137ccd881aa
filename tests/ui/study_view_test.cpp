// Seed groups and studies in the GUI, driven through the real widgets:
// the compare view's "Group by seed" (one mean curve with a min-max or 95 %
// CI band per group, final/best metrics as mean ± CI) and the study view
// (cells with mean ± CI, the paired comparison with a baseline chosen in its
// combo, the report export), over stores written with the storage calls.
// Expected intervals use Student's t quantile from tables
// (t_{0.975, 2} = 4.302653), not this project's code.
#include "storage/run_recorder.h"
#include "storage/run_store.h"
#include "storage/study_store.h"
#include "ui/compare_view.h"
#include "ui/store_worker.h"
#include "ui/study_view.h"

#include "../storage/store_test_support.h"
#include "user_data_isolation.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace lwb::storage;
using namespace lwb::storage::test;

namespace {

constexpr double kT975With2Df = 4.302652729696; // two-sided 95 %, 2 degrees of freedom

std::string readFile(const QString &path)
{
    std::ifstream in(path.toStdString());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string defaultConfigPath()
{
    return qEnvironmentVariable("LWB_SOURCE_DIR").toStdString() + "/resources/configs/lora_default.json";
}

// One finished run: its config, train/loss = 3/(1+0.01 step) + offset at
// steps 0..50, and a final evaluation loss.
std::int64_t recordRun(const std::string &path, const std::string &name, const std::string &configJson,
                       std::uint64_t seed, double offset, double evalLoss)
{
    std::int64_t runId = 0;
    {
        RunStore store(path);
        NewRun run = namedRun(name);
        run.configJson = configJson;
        run.seed = seed;
        runId = store.createRun(run);
    }
    RecorderOptions options;
    options.runId = runId;
    RunRecorder recorder(path, options);
    auto info = makeRunInfo(name);
    info.configJson = configJson;
    info.seed = seed;
    recorder.onRunStarted(info);
    for (std::int64_t step = 0; step <= 50; step += 10) {
        auto metrics = makeStep(step);
        metrics.loss += offset;
        recorder.onStep(metrics);
    }
    recorder.onEval(makeEval(50, evalLoss));
    recorder.onRunFinished(lwb::RunOutcome::Finished, "");
    return runId;
}

QString text(QTableWidget *table, int row, int column)
{
    auto *item = table->item(row, column);
    return item != nullptr ? item->text() : QString();
}

} // namespace

class StudyViewTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { lwb::ui::test::keepUserDataIn(userData_); }
    void init()
    {
        path_ = directory_.filePath(QStringLiteral("runs.db"));
        QFile::remove(path_);
    }

    void compareViewDrawsSeedGroupsAsBands()
    {
        const auto config = [](std::uint64_t seed, double lr) {
            return nlohmann::json{
                {"adapter", {{"variant", "lora"}, {"r", 8}}}, {"training", {{"lr", lr}}}, {"seed", seed}}
                .dump();
        };
        const auto path = path_.toStdString();
        QVector<qint64> ids;
        // Three seeds of one config (offsets 0, 0.1, 0.2), one run of another.
        ids << recordRun(path, "a-s1", config(1, 1e-3), 1, 0.0, 0.80);
        ids << recordRun(path, "a-s2", config(2, 1e-3), 2, 0.1, 0.90);
        ids << recordRun(path, "a-s3", config(3, 1e-3), 3, 0.2, 1.00);
        ids << recordRun(path, "b-s1", config(1, 1e-2), 1, 0.5, 1.50);

        lwb::ui::StoreWorker worker;
        worker.setPath(path_);
        lwb::ui::CompareView view;
        view.resize(1000, 700);
        view.setStore(&worker);
        view.setRuns(ids);
        QTRY_VERIFY(!view.isLoading());
        QVERIFY(view.hasSeedGroups());
        QCOMPARE(view.seedGroups().size(), std::size_t(2));
        QCOMPARE(view.seedGroups()[0].runIds.size(), std::size_t(3));
        QVERIFY(view.groupBySeedToggle()->isEnabled());
        view.setSeries(QStringLiteral("train/loss"));
        QTRY_VERIFY(!view.isLoading());
        QCOMPARE(view.curves()->graphCount(), 4); // one curve per run

        view.setBand(lwb::ui::CompareView::Band::MinMax);
        view.groupBySeedToggle()->click();
        QTRY_VERIFY(!view.isLoading());
        // The group: low, high (filled to low), mean; the single run: its band of width 0 and its mean.
        QCOMPARE(view.curves()->graphCount(), 6);
        auto valueAt = [&](int graph, double step) {
            const auto data = view.curves()->graph(graph)->data();
            const auto found = data->findBegin(step, false);
            return found != data->constEnd() && found->key == step ? found->value : std::nan("");
        };
        const double base = 3.0 / (1.0 + 0.01 * 20.0);
        QVERIFY(std::abs(valueAt(0, 20) - base) < 1e-6);         // min
        QVERIFY(std::abs(valueAt(1, 20) - (base + 0.2)) < 1e-6); // max
        QVERIFY(std::abs(valueAt(2, 20) - (base + 0.1)) < 1e-6); // mean
        QCOMPARE(view.curves()->graph(1)->channelFillGraph(), view.curves()->graph(0));
        QVERIFY(view.curves()->graph(2)->name().contains(QStringLiteral("(n=3)")));

        // 95 % CI of the mean of (b, b+0.1, b+0.2): sd 0.1, half-width t * 0.1 / sqrt(3).
        view.setBand(lwb::ui::CompareView::Band::ConfidenceInterval);
        QTRY_VERIFY(!view.isLoading());
        const double halfWidth = kT975With2Df * 0.1 / std::sqrt(3.0);
        QVERIFY(std::abs(valueAt(0, 20) - (base + 0.1 - halfWidth)) < 1e-6);
        QVERIFY(std::abs(valueAt(1, 20) - (base + 0.1 + halfWidth)) < 1e-6);

        // Metrics: one column pair per group, eval/loss final 0.9 ± t*0.1/sqrt(3).
        auto *table = view.metricsTable();
        QCOMPARE(table->columnCount(), 5);
        int evalRow = -1;
        for (int row = 0; row < table->rowCount(); ++row)
            if (text(table, row, 0) == QStringLiteral("eval/loss"))
                evalRow = row;
        QVERIFY(evalRow >= 0);
        QCOMPARE(text(table, evalRow, 1), QStringLiteral("0.9 ± %1 (n=3)").arg(halfWidth, 0, 'g', 6));
        QCOMPARE(text(table, evalRow, 3), QStringLiteral("1.5 (n=1)"));

        view.groupBySeedToggle()->click();
        QTRY_VERIFY(!view.isLoading());
        QCOMPARE(view.curves()->graphCount(), 4);
        QCOMPARE(view.metricsTable()->columnCount(), 9);
    }

    void studyViewShowsCellsAndComparesWithTheBaseline()
    {
        const std::string spec
            = nlohmann::json{{"name", "rank"},     {"base", defaultConfigPath()}, {"grid", {{"adapter.r", {4, 8, 16}}}},
                             {"seeds", {1, 2, 3}}, {"metric", "eval/loss"},       {"baseline", {{"adapter.r", 8}}}}
                  .dump();
        const auto studyId = recordStudy(spec);

        lwb::ui::StoreWorker worker;
        worker.setPath(path_);
        lwb::ui::StudyView view;
        view.resize(1100, 700);
        view.setStore(&worker);
        QTRY_VERIFY(!view.isLoading());
        QCOMPARE(view.studyChoice()->currentData().toLongLong(), qint64(studyId));
        QVERIFY(view.noteLabel()->text().isEmpty()); // the spec expanded again
        checkTable(view);

        // Baseline r=4: r=8 is now 0.16 lower, with the same p.
        const QString pWithR8 = text(view.cellTable(), 0, lwb::ui::StudyView::PValueColumn);
        view.baselineChoice()->setCurrentIndex(view.baselineChoice()->findData(0));
        Q_EMIT view.baselineChoice()->activated(view.baselineChoice()->currentIndex());
        QTRY_VERIFY(!view.isLoading());
        QCOMPARE(view.summary().baselineCell, 0);
        QCOMPARE(text(view.cellTable(), 1, lwb::ui::StudyView::DifferenceColumn), QStringLiteral("-0.16"));
        QCOMPARE(text(view.cellTable(), 1, lwb::ui::StudyView::PValueColumn), pWithR8);
        QCOMPARE(text(view.cellTable(), 0, lwb::ui::StudyView::DifferenceColumn), QStringLiteral("—"));

        // Scatter of adapter.r: 7 seed values, 3 cell means.
        QCOMPARE(view.axisChoice()->currentText(), QStringLiteral("adapter.r"));
        QCOMPARE(view.scatter()->graph(0)->dataCount(), 7);
        QCOMPARE(view.scatter()->graph(1)->dataCount(), 3);

        QSignalSpy exported(&view, &lwb::ui::StudyView::reportExported);
        const QString html = directory_.filePath(QStringLiteral("rank.html"));
        const QString csv = directory_.filePath(QStringLiteral("rank.csv"));
        view.exportReport(html, csv);
        QTRY_COMPARE(exported.size(), 1);
        QCOMPARE(exported.front().front().toString(), QString());
        QVERIFY(readFile(html).find("adapter.r=4 (baseline)") != std::string::npos);
        QVERIFY(readFile(csv).find("0,adapter.r=4,mean,3,0.85,") != std::string::npos);
    }

    void studyWhoseBaseIsGoneShowsTheRecordedCells()
    {
        const std::string spec = nlohmann::json{
            {"name", "rank"},
            {"base", "moved_away.json"},
            {"grid", {{"adapter.r", {4, 8, 16}}}},
            {"seeds", {1, 2, 3}},
            {"baseline",
             {{"adapter.r", 8}}}}.dump();
        recordStudy(spec);
        lwb::ui::StoreWorker worker;
        worker.setPath(path_);
        lwb::ui::StudyView view;
        view.setStore(&worker);
        QTRY_VERIFY(!view.isLoading());
        QVERIFY(view.noteLabel()->text().contains(QStringLiteral("recorded")));
        QVERIFY(view.noteLabel()->text().contains(QStringLiteral("moved_away.json")));
        checkTable(view); // the same cells and baseline, from study_runs
    }

private:
    // The study of tests/storage/study_store_test.cpp: final eval losses per
    // (cell, seed), r=8 the baseline; cell 2 also has a failed and a queued run.
    std::int64_t recordStudy(const std::string &spec)
    {
        const std::vector<std::string> cells
            = {R"([["adapter.r",4]])", R"([["adapter.r",8]])", R"([["adapter.r",16]])"};
        const std::map<std::pair<int, int>, double> losses
            = {{{0, 1}, 0.90}, {{0, 2}, 0.80}, {{0, 3}, 0.85}, {{1, 1}, 0.70},
               {{1, 2}, 0.66}, {{1, 3}, 0.71}, {{2, 1}, 0.65}};
        const auto path = path_.toStdString();
        std::int64_t studyId = 0;
        {
            RunStore store(path);
            studyId = openStudy(store, "rank", spec, "eval/loss").id;
        }
        for (const auto &[cellSeed, loss] : losses) {
            const auto runId
                = recordRun(path, "rank-c" + std::to_string(cellSeed.first), "{}", cellSeed.second, 0.0, loss);
            RunStore store(path);
            linkStudyRun(store, studyId, runId, std::size_t(cellSeed.first), cells[std::size_t(cellSeed.first)],
                         std::uint64_t(cellSeed.second));
        }
        RunStore store(path);
        const auto failed = store.createRun(namedRun("rank-c2-failed"));
        linkStudyRun(store, studyId, failed, 2, cells[2], 2);
        store.finishRun(failed, RunStatus::Failed, "out of memory");
        const auto queued = store.createRun(namedRun("rank-c2-queued"));
        linkStudyRun(store, studyId, queued, 2, cells[2], 3);
        return studyId;
    }

    // r=4: 0.90, 0.80, 0.85 (mean 0.85, sd 0.05, CI 0.85 ± t*0.05/sqrt(3));
    // against r=8 paired by seed: differences 0.20, 0.14, 0.14.
    static void checkTable(const lwb::ui::StudyView &view)
    {
        using V = lwb::ui::StudyView;
        auto *table = view.cellTable();
        QCOMPARE(table->rowCount(), 3);
        QCOMPARE(view.summary().baselineCell, 1);
        QCOMPARE(view.baselineChoice()->currentData().toInt(), 1);
        QCOMPARE(text(table, 0, V::SettingsColumn), QStringLiteral("adapter.r=4"));
        QCOMPARE(text(table, 1, V::SettingsColumn), QStringLiteral("adapter.r=8 (baseline)"));
        QCOMPARE(text(table, 0, V::CountColumn), QStringLiteral("3"));
        QCOMPARE(text(table, 0, V::MeanColumn), QStringLiteral("0.85"));
        const double halfWidth = kT975With2Df * 0.05 / std::sqrt(3.0);
        QCOMPARE(text(table, 0, V::IntervalColumn),
                 QStringLiteral("[%1, %2]")
                     .arg(QString::number(0.85 - halfWidth, 'g', 5), QString::number(0.85 + halfWidth, 'g', 5)));
        QCOMPARE(text(table, 0, V::DifferenceColumn), QStringLiteral("+0.16"));
        // Differences 0.20, 0.14, 0.14: sd 0.034641, t = 0.16 / (0.034641 / sqrt 3) = 8.0, p = 0.01527 (2 df).
        QVERIFY(text(table, 0, V::PValueColumn).startsWith(QStringLiteral("0.0153 (3 seeds)")));
        QCOMPARE(text(table, 1, V::DifferenceColumn), QStringLiteral("—"));
        QCOMPARE(text(table, 2, V::CountColumn), QStringLiteral("1"));
        QCOMPARE(text(table, 2, V::PendingColumn), QStringLiteral("1"));
        QCOMPARE(text(table, 2, V::FailedColumn), QStringLiteral("1"));
        QCOMPARE(text(table, 2, V::PValueColumn), QStringLiteral("—"));
    }

    QTemporaryDir userData_;
    QTemporaryDir directory_;
    QString path_;
};

QTEST_MAIN(StudyViewTest)
#include "study_view_test.moc"
