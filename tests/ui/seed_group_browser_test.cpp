// Seed groups in the run browser, driven through the main window's widgets
// on a store filled by the real RunRecorder: three runs of one config that
// differ only in seed (and name, a label) share a group, a run with another
// learning rate is alone; the "Seed group" column names the group after its
// oldest run, sorting on it puts the group's runs together, and "Compare
// group" opens the compare view on the whole group with "Group by seed" on,
// drawing one mean curve with its band. Waits on the store thread being
// idle, never on a time.
#include "storage/run_recorder.h"
#include "ui/compare_view.h"
#include "ui/main_window.h"
#include "ui/run_browser.h"
#include "ui/run_table_model.h"
#include "user_data_isolation.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QPushButton>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <memory>

using lwb::ui::MainWindow;
using lwb::ui::RunTableModel;

namespace {

// A finished run of 20 steps whose loss is 2/(1+0.1 step) + offset.
std::int64_t recordRun(const QString &db, const std::string &name, std::uint64_t seed, double lr, double offset)
{
    const nlohmann::json config = {{"name", name},
                                   {"seed", seed},
                                   {"threads", int(seed)}, // seed-independent too (summation order only)
                                   {"adapter", {{"variant", "lora"}, {"r", 4}}},
                                   {"training", {{"lr", lr}, {"steps", 20}}}};
    lwb::RunInfo info;
    info.name = name;
    info.variant = "lora";
    info.configJson = config.dump();
    info.device = "cpu";
    info.seed = seed;
    info.totalSteps = 20;
    lwb::storage::RunRecorder recorder(db.toStdString());
    recorder.onRunStarted(info);
    for (int step = 1; step <= 20; ++step) {
        lwb::StepMetrics metrics;
        metrics.step = step;
        metrics.totalSteps = 20;
        metrics.tokens = step * 100;
        metrics.loss = 2.0 / (1.0 + 0.1 * step) + offset;
        metrics.learningRate = lr;
        recorder.onStep(metrics);
    }
    recorder.onRunFinished(lwb::RunOutcome::Finished, {});
    return recorder.runId();
}

} // namespace

class SeedGroupBrowserTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        lwb::ui::test::keepUserDataIn(dir_);
        db_ = dir_.filePath(QStringLiteral("runs.db"));
        group_ << recordRun(db_, "a-s1", 1, 1e-3, 0.0);
        lone_ = recordRun(db_, "b-s1", 1, 1e-2, 0.5); // between the group's runs in id order
        group_ << recordRun(db_, "a-s2", 2, 1e-3, 0.1) << recordRun(db_, "a-s3", 3, 1e-3, 0.2);
        window_ = std::make_unique<MainWindow>(db_);
        window_->show();
        QTRY_VERIFY(settled());
    }
    void cleanupTestCase() { window_.reset(); }

    void columnNamesTheGroup()
    {
        const auto *model = window_->runBrowser()->table()->model();
        QCOMPARE(model->rowCount(), 4);
        const QString groupName = QStringLiteral("#%1 \u00d73").arg(group_.front());
        for (qint64 id : group_)
            QCOMPARE(model->index(rowOf(id), RunTableModel::SeedGroupColumn).data().toString(), groupName);
        QCOMPARE(model->index(rowOf(lone_), RunTableModel::SeedGroupColumn).data().toString(), QStringLiteral("–"));
    }

    void sortingPutsTheGroupTogether()
    {
        auto *table = window_->runBrowser()->table();
        table->sortByColumn(RunTableModel::SeedGroupColumn, Qt::AscendingOrder);
        const auto *model = table->model();
        for (int row = 0; row < 3; ++row) // the group's runs first, by id; the lone run after
            QCOMPARE(model->index(row, RunTableModel::IdColumn).data().toLongLong(), group_[row]);
        QCOMPARE(model->index(3, RunTableModel::IdColumn).data().toLongLong(), lone_);
        table->sortByColumn(RunTableModel::IdColumn, Qt::DescendingOrder);
    }

    void compareGroupOpensTheBands()
    {
        auto *browser = window_->runBrowser();
        browser->selectRuns({lone_});
        QVERIFY(!browser->compareGroupButton()->isEnabled()); // a group of one
        browser->selectRuns({lone_, group_[1]});
        QVERIFY(!browser->compareGroupButton()->isEnabled()); // two groups
        browser->selectRuns({group_[1]});
        QVERIFY(browser->compareGroupButton()->isEnabled());

        QTest::mouseClick(browser->compareGroupButton(), Qt::LeftButton);
        QTRY_VERIFY(settled());
        auto *compare = window_->compareView();
        QCOMPARE(window_->centralTabs()->currentWidget(), compare);
        QCOMPARE(compare->runIds(), group_);
        QVERIFY(compare->groupBySeedToggle()->isChecked());
        QVERIFY(compare->hasSeedGroups());
        QCOMPARE(compare->seedGroups().size(), std::size_t(1));
        // One mean curve and the band's two edges (a filled pair of graphs), not one curve per run.
        QCOMPARE(compare->curves()->graphCount(), 3);
        // The mean curve at step 10: offsets 0, 0.1, 0.2 around 2/(1+1), by the formula above.
        const auto *mean = compare->curves()->graph(2)->data().data();
        const auto point = mean->findBegin(10.0, false);
        QVERIFY(point != mean->constEnd());
        QCOMPARE(point->key, 10.0);
        QVERIFY(std::abs(point->value - 1.1) < 1e-9);
    }

private:
    bool settled() const { return !window_->runBrowser()->isBusy() && !window_->compareView()->isLoading(); }
    int rowOf(qint64 runId) const
    {
        const auto *model = window_->runBrowser()->table()->model();
        for (int row = 0; row < model->rowCount(); ++row)
            if (model->index(row, RunTableModel::IdColumn).data().toLongLong() == runId)
                return row;
        return -1;
    }

    QTemporaryDir dir_;
    QString db_;
    QVector<qint64> group_;
    qint64 lone_ = 0;
    std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(SeedGroupBrowserTest)
#include "seed_group_browser_test.moc"
