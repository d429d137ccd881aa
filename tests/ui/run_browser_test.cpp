// The run browser and the compare view driven through their widgets in the
// main window, on a run store filled by the real RunRecorder: the table lists
// and sorts the runs, the filters narrow it, tags and notes are saved, delete
// asks first and a cancelled confirmation deletes nothing, Compare overlays
// the curves (by step and by tokens) and shows the config diff, the metrics
// and the per-task bars, the tables export as CSV with the shown values, and
// Clone config puts a run's config into the form. Every read and write goes
// through the store's thread: the checks wait until it is idle (settled()),
// never for a time.
#include "engine/adapters/variant_traits.h"
#include "form_input.h"
#include "storage/run_recorder.h"
#include "storage/run_store.h"
#include "ui/compare_view.h"
#include "ui/main_window.h"
#include "ui/plot_export.h"
#include "ui/run_browser.h"
#include "ui/run_form.h"
#include "ui/run_table_model.h"
#include "ui/store_worker.h"
#include "ui/stored_routing_view.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSemaphore>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <memory>

using lwb::ui::CompareView;
using lwb::ui::MainWindow;
using lwb::ui::RunBrowser;
using lwb::ui::RunTableModel;
using lwb::ui::test::answerNextMessageBox;

namespace {

nlohmann::json defaultConfig()
{
    QFile file(qEnvironmentVariable("LWB_SOURCE_DIR") + QStringLiteral("/resources/configs/lora_default.json"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read lora_default.json (LWB_SOURCE_DIR)");
    const QByteArray bytes = file.readAll();
    return nlohmann::json::parse(bytes.constBegin(), bytes.constEnd());
}

// Records a finished run of `steps` steps whose loss falls from `startLoss`,
// with evaluations every 50 steps and exact match per task.
std::int64_t recordRun(const QString &db, const std::string &name, const std::string &variant, double lr,
                       double startLoss, int tokensPerStep)
{
    auto config = defaultConfig();
    config["name"] = name;
    config["training"]["lr"] = lr;
    config["adapter"]["variant"] = variant;
    lwb::RunInfo info;
    info.name = name;
    info.variant = variant;
    info.configJson = config.dump();
    info.device = "cpu";
    info.seed = 42;
    info.totalSteps = 200;
    lwb::storage::RunRecorder recorder(db.toStdString());
    recorder.onRunStarted(info);
    for (int step = 1; step <= 200; ++step) {
        lwb::StepMetrics metrics;
        metrics.step = step;
        metrics.totalSteps = 200;
        metrics.tokens = std::int64_t(step) * tokensPerStep;
        metrics.loss = startLoss / (1.0 + 0.01 * step);
        metrics.learningRate = lr;
        metrics.gradNorm = 1.0;
        metrics.tokensPerSecond = 1000.0;
        metrics.wallSeconds = 0.01 * step;
        if (lwb::reportsRouting(variant)) { // two routed layers of 4 experts; the last step differs
            for (const char *layer : {"transformer.h.0.attn.c_attn", "transformer.h.0.mlp.c_proj"}) {
                lwb::LayerRoutingStats stats;
                stats.layer = layer;
                stats.expertLoad = step == 200 ? std::vector<float>{0.4f, 0.3f, 0.2f, 0.1f}
                                               : std::vector<float>{0.25f, 0.25f, 0.25f, 0.25f};
                stats.routedTokens = 100;
                metrics.adapter.layers.push_back(stats);
            }
        }
        recorder.onStep(metrics);
        if (step % 50 == 0) {
            lwb::EvalMetrics eval;
            eval.step = step;
            eval.loss = metrics.loss + 0.1;
            eval.perplexity = std::exp(eval.loss);
            eval.tokens = 100;
            eval.exactMatchByTask = {{"first", 0.002 * step}, {"length", 0.004 * step}};
            if (lwb::reportsRouting(variant))
                eval.expertShareByTask = {{"first", {0.25, 0.25, 0.25, 0.25}}, {"length", {0.7, 0.1, 0.1, 0.1}}};
            recorder.onEval(eval);
        }
    }
    recorder.onRunFinished(lwb::RunOutcome::Finished, {});
    return recorder.runId();
}

} // namespace

class RunBrowserTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void listsAndSortsTheRuns();
    void filtersNarrowTheList();
    void tagsAndNotesAreSaved();
    void deleteAsksFirst();
    void compareShowsCurvesDiffAndMetrics();
    void compareAlignsByTokens();
    void compareTablesExportAsCsv();
    void cloneConfigFillsTheForm();
    void compareShowsStoredRouting();
    void deleteCanBeCancelled();

private:
    RunBrowser *browser() const { return window_->runBrowser(); }
    int rowOf(std::int64_t runId) const;
    void selectOnly(const QVector<qint64> &ids) { browser()->selectRuns(ids); }
    // Every store read asked so far has arrived and is shown.
    bool settled() const { return !browser()->isBusy() && !window_->compareView()->isLoading(); }

    QTemporaryDir dir_;
    QString db_;
    std::unique_ptr<MainWindow> window_;
    std::int64_t slowRun_ = 0;
    std::int64_t fastRun_ = 0;
    std::int64_t siraRun_ = 0;
};

void RunBrowserTest::initTestCase()
{
    QVERIFY(dir_.isValid());
    qputenv("XDG_CONFIG_HOME", dir_.filePath(QStringLiteral("config")).toUtf8());
    qputenv("XDG_DATA_HOME", dir_.filePath(QStringLiteral("data")).toUtf8());
    QCoreApplication::setOrganizationName(QStringLiteral("lwb-test"));
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir_.filePath(QStringLiteral("settings")));
}

void RunBrowserTest::init()
{
    static int counter = 0;
    db_ = dir_.filePath(QStringLiteral("runs%1.db").arg(++counter));
    slowRun_ = recordRun(db_, "slow-lr", "lora", 1e-4, 3.0, 512);
    fastRun_ = recordRun(db_, "fast-lr", "lora", 3e-3, 2.0, 1024);
    siraRun_ = recordRun(db_, "experts", "sira", 1e-3, 2.5, 512);
    window_ = std::make_unique<MainWindow>(db_);
    window_->show();
    QTRY_VERIFY(settled());
}

void RunBrowserTest::cleanup()
{
    window_.reset();
}

int RunBrowserTest::rowOf(std::int64_t runId) const
{
    const auto *view = browser()->table();
    for (int row = 0; row < view->model()->rowCount(); ++row) {
        if (view->model()->index(row, RunTableModel::IdColumn).data().toLongLong() == runId)
            return row;
    }
    return -1;
}

void RunBrowserTest::listsAndSortsTheRuns()
{
    QCOMPARE(browser()->visibleRunCount(), 3);
    auto *model = browser()->table()->model();
    // Newest first by default.
    QCOMPARE(model->index(0, RunTableModel::IdColumn).data().toLongLong(), siraRun_);
    // Final eval loss = 2/(1+2) + 0.1 for fast-lr: the best of the three.
    QCOMPARE(model->index(rowOf(fastRun_), RunTableModel::FinalEvalLossColumn).data().toString(),
             QStringLiteral("0.7667"));
    QCOMPARE(model->index(rowOf(fastRun_), RunTableModel::LearningRateColumn).data().toString(),
             QStringLiteral("0.003"));
    QCOMPARE(model->index(rowOf(fastRun_), RunTableModel::ExactMatchColumn).data().toString(),
             QStringLiteral("60.0 %"));
    browser()->table()->sortByColumn(RunTableModel::FinalEvalLossColumn, Qt::AscendingOrder);
    QCOMPARE(model->index(0, RunTableModel::IdColumn).data().toLongLong(), fastRun_);
    QCOMPARE(model->index(2, RunTableModel::IdColumn).data().toLongLong(), slowRun_);
    // The learning rate sorts as a number (1e-4 < 1e-3 < 3e-3), not as text.
    browser()->table()->sortByColumn(RunTableModel::LearningRateColumn, Qt::AscendingOrder);
    QCOMPARE(model->index(0, RunTableModel::IdColumn).data().toLongLong(), slowRun_);
    QCOMPARE(model->index(2, RunTableModel::IdColumn).data().toLongLong(), fastRun_);
}

void RunBrowserTest::filtersNarrowTheList()
{
    // Ctrl+F reaches the filter, typing narrows after a pause.
    window_->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window_.get()));
    QTest::keyClick(window_.get(), Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(browser()->textFilter()->hasFocus());
    QTest::keyClicks(browser()->textFilter(), QStringLiteral("lr"));
    QTRY_COMPARE(browser()->visibleRunCount(), 2);
    browser()->textFilter()->clear();
    QTRY_COMPARE(browser()->visibleRunCount(), 3);

    auto *variant = browser()->variantFilter();
    variant->setCurrentIndex(variant->findText(QStringLiteral("sira")));
    QTRY_VERIFY(settled());
    QCOMPARE(browser()->visibleRunCount(), 1);
    QCOMPARE(browser()->table()->model()->index(0, RunTableModel::IdColumn).data().toLongLong(), siraRun_);
    variant->setCurrentIndex(0);

    auto *status = browser()->statusFilter();
    status->setCurrentIndex(status->findText(QStringLiteral("failed")));
    QTRY_VERIFY(settled());
    QCOMPARE(browser()->visibleRunCount(), 0);
    status->setCurrentIndex(0);
    QTRY_VERIFY(settled());
    QCOMPARE(browser()->visibleRunCount(), 3);
}

void RunBrowserTest::tagsAndNotesAreSaved()
{
    selectOnly({fastRun_});
    QVERIFY(browser()->tagsEdit()->isEnabled());
    browser()->tagsEdit()->setText(QStringLiteral("baseline, paper-fig2"));
    browser()->notesEdit()->setPlainText(QStringLiteral("lr sweep, best so far"));
    QSignalSpy changed(browser(), &RunBrowser::runsChanged);
    QTest::mouseClick(browser()->saveDetailsButton(), Qt::LeftButton);
    QVERIFY(changed.wait());
    QTRY_VERIFY(settled());

    lwb::storage::RunStore store(db_.toStdString());
    const auto run = store.run(fastRun_);
    QCOMPARE(run.tags, (std::vector<std::string>{"baseline", "paper-fig2"}));
    QCOMPARE(run.notes, std::string("lr sweep, best so far"));
    // The new tag is offered as a filter and narrows the list to that run.
    auto *tag = browser()->tagFilter();
    QVERIFY(tag->findText(QStringLiteral("paper-fig2")) >= 0);
    tag->setCurrentIndex(tag->findText(QStringLiteral("paper-fig2")));
    QTRY_VERIFY(settled());
    QCOMPARE(browser()->visibleRunCount(), 1);
    tag->setCurrentIndex(0);
    QTRY_VERIFY(settled());

    // Removing one tag keeps the other.
    selectOnly({fastRun_});
    browser()->tagsEdit()->setText(QStringLiteral("baseline"));
    QTest::mouseClick(browser()->saveDetailsButton(), Qt::LeftButton);
    QVERIFY(changed.wait());
    QCOMPARE(store.run(fastRun_).tags, (std::vector<std::string>{"baseline"}));
}

void RunBrowserTest::deleteAsksFirst()
{
    selectOnly({slowRun_});
    answerNextMessageBox(QMessageBox::Cancel);
    QTest::mouseClick(browser()->deleteButton(), Qt::LeftButton);
    QCOMPARE(browser()->visibleRunCount(), 3);

    selectOnly({slowRun_});
    answerNextMessageBox(QMessageBox::Yes);
    QSignalSpy changed(browser(), &RunBrowser::runsChanged);
    QTest::mouseClick(browser()->deleteButton(), Qt::LeftButton);
    QVERIFY(changed.wait());
    QTRY_VERIFY(settled());
    QCOMPARE(browser()->visibleRunCount(), 2);
    QCOMPARE(rowOf(slowRun_), -1);
    lwb::storage::RunStore store(db_.toStdString());
    QVERIFY(!store.findRun(slowRun_).has_value());
    QVERIFY(store.findRun(fastRun_).has_value());
}

void RunBrowserTest::compareShowsCurvesDiffAndMetrics()
{
    selectOnly({slowRun_, fastRun_});
    QVERIFY(browser()->compareButton()->isEnabled());
    QTest::mouseClick(browser()->compareButton(), Qt::LeftButton);
    CompareView *compare = window_->compareView();
    QTRY_VERIFY(settled());
    QCOMPARE(window_->centralTabs()->currentWidget(), compare);
    QCOMPARE(compare->runIds().size(), 2);

    // One curve per run of train/loss, every step.
    QCOMPARE(compare->seriesChoice()->currentText(), QStringLiteral("train/loss"));
    QCOMPARE(compare->curves()->graphCount(), 2);
    QCOMPARE(compare->curves()->graph(0)->dataCount(), 200);
    QCOMPARE(compare->curves()->graph(1)->data()->at(0)->value, 2.0 / 1.01);

    // The config diff shows only training.lr and name by default.
    auto *config = compare->configTable();
    QStringList keys;
    for (int row = 0; row < config->rowCount(); ++row)
        keys << config->item(row, 0)->text();
    QCOMPARE(keys, (QStringList{QStringLiteral("name"), QStringLiteral("training.lr")}));
    QCOMPARE(config->item(1, 1)->text(), QStringLiteral("0.0001"));
    QCOMPARE(config->item(1, 2)->text(), QStringLiteral("0.003"));
    compare->allKeysToggle()->setChecked(true);
    QVERIFY(config->rowCount() > 10);
    compare->allKeysToggle()->setChecked(false);
    QCOMPARE(config->rowCount(), 2);

    // Final and best of eval/loss per run; per-task bars of the last evaluation.
    auto *metrics = compare->metricsTable();
    int evalRow = -1;
    for (int row = 0; row < metrics->rowCount(); ++row)
        if (metrics->item(row, 0)->text() == QStringLiteral("eval/loss"))
            evalRow = row;
    QVERIFY(evalRow >= 0);
    QCOMPARE(metrics->item(evalRow, 3)->text(), QString::number(2.0 / 3.0 + 0.1, 'g', 6));
    QCOMPARE(compare->taskTable()->rowCount(), 2);
    QCOMPARE(compare->taskTable()->item(1, 2)->text(), QStringLiteral("0.8")); // length, fast-lr, step 200
    QCOMPARE(compare->taskBars()->plottableCount(), 2);

    // Any other series can be overlaid; eval series have one point per evaluation.
    compare->setSeries(QStringLiteral("eval/loss"));
    QTRY_VERIFY(settled());
    QCOMPARE(compare->curves()->graph(0)->dataCount(), 4);
}

void RunBrowserTest::compareAlignsByTokens()
{
    window_->compareRuns({slowRun_, fastRun_});
    CompareView *compare = window_->compareView();
    QTRY_VERIFY(settled());
    compare->setXAxis(CompareView::XAxis::Tokens);
    QTRY_VERIFY(settled());
    // fast-lr saw 1024 tokens per step, slow-lr 512: same steps, twice the tokens.
    QCOMPARE(compare->curves()->graph(0)->data()->at(199)->key, 200.0 * 512);
    QCOMPARE(compare->curves()->graph(1)->data()->at(199)->key, 200.0 * 1024);
    compare->setXAxis(CompareView::XAxis::WallTime);
    QTRY_VERIFY(settled());
    QVERIFY(std::abs(compare->curves()->graph(1)->data()->at(99)->key - 1.0) < 1e-6);
}

void RunBrowserTest::compareTablesExportAsCsv()
{
    window_->compareRuns({slowRun_, fastRun_, siraRun_});
    QTRY_VERIFY(settled());
    QString error;
    QTemporaryDir out;
    QVERIFY2(window_->compareView()->exportTables(out.path(), &error), qPrintable(error));
    QFile config(out.filePath(QStringLiteral("compare_config.csv")));
    QVERIFY(config.open(QIODevice::ReadOnly));
    const QString configCsv = QString::fromUtf8(config.readAll());
    QVERIFY2(configCsv.startsWith(
                 QStringLiteral("key,#%1 slow-lr,#%2 fast-lr,#%3 experts\n").arg(slowRun_).arg(fastRun_).arg(siraRun_)),
             qPrintable(configCsv));
    QVERIFY(configCsv.contains(QStringLiteral("adapter.variant,\"\"\"lora\"\"\",\"\"\"lora\"\"\",\"\"\"sira\"\"\"\n")));
    QFile curves(out.filePath(QStringLiteral("compare_curves.csv")));
    QVERIFY(curves.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(curves.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + 3 * 200);
    QCOMPARE(lines.at(0), QStringLiteral("series,x,y"));
    QCOMPARE(lines.at(1), QStringLiteral("#%1 slow-lr,1,%2").arg(slowRun_).arg(QString::number(3.0 / 1.01, 'g', 10)));
    QFile tasks(out.filePath(QStringLiteral("compare_tasks.csv")));
    QVERIFY(tasks.open(QIODevice::ReadOnly));
    QVERIFY(QString::fromUtf8(tasks.readAll()).contains(QStringLiteral("length,0.8,0.8,0.8")));
}

void RunBrowserTest::cloneConfigFillsTheForm()
{
    selectOnly({fastRun_});
    QTest::mouseClick(browser()->cloneButton(), Qt::LeftButton);
    const auto document = window_->runForm()->document();
    QCOMPARE(document["name"].get<std::string>(), std::string("fast-lr"));
    QCOMPARE(document["training"]["lr"].get<double>(), 3e-3);
    QVERIFY(window_->runForm()->isValid());
}

// A mixture run's routing, read back from the store: the expert load of the
// last step per layer and the task x expert matrix of the last evaluation.
void RunBrowserTest::compareShowsStoredRouting()
{
    window_->compareRuns({slowRun_, siraRun_});
    CompareView *compare = window_->compareView();
    QTRY_VERIFY(settled());
    QCOMPARE(compare->routingRunChoice()->count(), 2);
    QCOMPARE(compare->routingRunChoice()->currentData().toLongLong(), siraRun_); // mixture runs first
    const auto *routing = compare->routing();
    QVERIFY(routing->hasRouting());
    QCOMPARE(routing->layerNames(), (QStringList{QStringLiteral("transformer.h.0.attn.c_attn"),
                                                 QStringLiteral("transformer.h.0.mlp.c_proj")}));
    QCOMPARE(routing->expertCount(), 4);
    QCOMPARE(routing->load(1, 0), double(0.4f));
    QCOMPARE(routing->load(1, 3), double(0.1f));
    QCOMPARE(routing->taskNames(), (QStringList{QStringLiteral("first"), QStringLiteral("length")}));
    QCOMPARE(routing->taskShare(1, 0), double(float(0.7)));
    // A LoRA run has none, and says so.
    compare->routingRunChoice()->setCurrentIndex(1);
    QTRY_VERIFY(settled());
    QVERIFY(!routing->hasRouting());
    QVERIFY(compare->findChild<QLabel *>(QStringLiteral("storedRoutingMessage"))
                ->text()
                .contains(QStringLiteral("no routing")));
}

// A delete waits behind a task that holds the store thread; Cancel before it
// starts deletes nothing, and the progress row goes away when it ends.
void RunBrowserTest::deleteCanBeCancelled()
{
    auto *store = window_->storeWorker();
    QSemaphore release;
    store->run<bool>(
        this,
        [&release](lwb::storage::RunStore &, const lwb::ui::StoreTaskControl &) {
            release.acquire();
            return true;
        },
        [](lwb::ui::StoreOutcome<bool>) {});
    selectOnly({slowRun_, fastRun_});
    answerNextMessageBox(QMessageBox::Yes);
    QSignalSpy changed(browser(), &RunBrowser::runsChanged);
    QTest::mouseClick(browser()->deleteButton(), Qt::LeftButton);
    QVERIFY(browser()->cancelTaskButton()->isVisible());
    QTest::mouseClick(browser()->cancelTaskButton(), Qt::LeftButton);
    release.release();
    QVERIFY(changed.wait());
    QTRY_VERIFY(settled());
    QVERIFY(!browser()->cancelTaskButton()->isVisible());
    QCOMPARE(browser()->visibleRunCount(), 3);
    lwb::storage::RunStore check(db_.toStdString());
    QVERIFY(check.findRun(slowRun_).has_value());
    QVERIFY(check.findRun(fastRun_).has_value());
}

QTEST_MAIN(RunBrowserTest)
#include "run_browser_test.moc"
