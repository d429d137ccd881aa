// The compare view's zoom on a real store and the real widget: two runs of
// 20,000 steps are first drawn thinned to the plot's pixel columns; a zoom of
// the x axis onto 100 steps (the range a wheel or drag ends on, set the way
// QCustomPlot sets it, which emits rangeChanged) reads that range again, so the
// graph then holds every recorded step of it with its exact stored value; a
// drag moves the window, the tokens axis zooms the same way, and a double
// click or a zoom out over all the data goes back to the whole-range curves.
// windowQuery (the window-to-steps mapping) is also checked on plain values,
// including the data it must not map. Waits on the panel's curvesShown signal,
// never on a time.
//
// With LWB_SCREENSHOT_DIR set, the view is also saved there before the zoom
// (compare_whole.png) and after it (compare_zoomed.png, the y axis fitted to
// the window as a wheel turn over the plot would zoom it too); see ui/README.md.
#include "storage/run_records.h"
#include "ui/compare_curve_data.h"
#include "ui/compare_curves_panel.h"
#include "ui/compare_view.h"
#include "ui/store_worker.h"

#include "long_run_store_fixture.h"
#include "user_data_isolation.h"

#include <qcustomplot.h>

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using lwb::ui::CompareAxis;
using lwb::ui::CompareCurvesPanel;
using lwb::ui::CompareView;

namespace {

constexpr int kSteps = 20000;
constexpr std::int64_t kTokensPerStep = 512;

double loss(int run, int step)
{
    return 3.0 / (1.0 + 0.001 * step) + 0.05 * std::sin(step * 0.37 + run) + 0.1 * run;
}

// The points of graph 0 whose key is in [low, high], in key order.
std::vector<std::pair<double, double>> pointsIn(QCustomPlot *plot, double low, double high)
{
    std::vector<std::pair<double, double>> points;
    const auto data = plot->graph(0)->data();
    for (auto it = data->findBegin(low, false); it != data->constEnd() && it->key <= high; ++it)
        if (it->key >= low)
            points.emplace_back(it->key, it->value);
    return points;
}

// Saves the view as name into $LWB_SCREENSHOT_DIR, when it is set.
void saveScreenshot(CompareView &view, const QString &name)
{
    const QString directory = qEnvironmentVariable("LWB_SCREENSHOT_DIR");
    if (directory.isEmpty())
        return;
    view.curves()->replot(QCustomPlot::rpImmediateRefresh);
    const QString path = QDir(directory).filePath(name);
    QVERIFY2(view.grab().save(path), qPrintable(path));
}

lwb::storage::SeriesPoint point(std::int64_t step, double value, double wall)
{
    return lwb::storage::SeriesPoint{step, value, wall};
}

} // namespace

class CompareViewTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(userData_.isValid());
        lwb::ui::test::keepUserDataIn(userData_);
        QVERIFY(dir_.isValid());
        lwb::ui::test::LongRunsSpec spec;
        spec.steps = kSteps;
        spec.tokensPerStep = kTokensPerStep;
        spec.wallSecondsPerStep = 0.25;
        spec.loss = loss;
        ids_ = lwb::ui::test::writeLongRuns(dir_.filePath(QStringLiteral("runs.db")), spec);
    }

    void windowQueryMapsTheVisibleRangeToSteps()
    {
        lwb::ui::RunSeriesPoints coarse;
        for (std::int64_t step : {1, 10, 20, 30, 40})
            coarse.points.push_back(point(step, 1.0, 0.5 * double(step)));
        coarse.tokens = {point(0, 0.0, 0.0), point(40, 4000.0, 20.0)};
        // Steps 15..25: from the last point left of 15 to the first right of 25.
        auto query = lwb::ui::windowQuery(coarse, CompareAxis::Step, 15.0, 25.0, 100);
        QCOMPARE(query.fromStep, std::optional<std::int64_t>(10));
        QCOMPARE(query.toStep, std::optional<std::int64_t>(30));
        QCOMPARE(query.maxPoints, std::size_t(100));
        // Tokens 1500..2500 are steps 15..25 (100 tokens per step); wall 7.5..12.5 s too.
        query = lwb::ui::windowQuery(coarse, CompareAxis::Tokens, 1500.0, 2500.0, 100);
        QCOMPARE(query.fromStep, std::optional<std::int64_t>(10));
        QCOMPARE(query.toStep, std::optional<std::int64_t>(30));
        query = lwb::ui::windowQuery(coarse, CompareAxis::WallTime, 7.5, 12.5, 100);
        QCOMPARE(query.fromStep, std::optional<std::int64_t>(10));
        QCOMPARE(query.toStep, std::optional<std::int64_t>(30));
        // A window over the first (last) coarse point stays open on that side:
        // stored steps before it may be in the window.
        query = lwb::ui::windowQuery(coarse, CompareAxis::Step, 0.0, 35.0, 100);
        QVERIFY(!query.fromStep.has_value());
        QCOMPARE(query.toStep, std::optional<std::int64_t>(40));
        query = lwb::ui::windowQuery(coarse, CompareAxis::Step, 5.0, 99.0, 100);
        QCOMPARE(query.fromStep, std::optional<std::int64_t>(1));
        QVERIFY(!query.toStep.has_value());
        // A wall clock that went back (a resumed run) and a run without
        // train/tokens cannot map a window of x to steps: the whole range.
        auto resumed = coarse;
        resumed.points[3].wallSeconds = 1.0;
        query = lwb::ui::windowQuery(resumed, CompareAxis::WallTime, 7.5, 12.5, 100);
        QVERIFY(!query.fromStep.has_value() && !query.toStep.has_value());
        QCOMPARE(query.maxPoints, std::size_t(100));
        auto noTokens = coarse;
        noTokens.tokens.clear();
        query = lwb::ui::windowQuery(noTokens, CompareAxis::Tokens, 1500.0, 2500.0, 100);
        QVERIFY(!query.fromStep.has_value() && !query.toStep.has_value());
    }

    void zoomReadsEveryStepOfTheVisibleRange()
    {
        lwb::ui::StoreWorker worker;
        worker.setPath(dir_.filePath(QStringLiteral("runs.db")));
        CompareView view;
        view.resize(1100, 640);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        CompareCurvesPanel *panel = view.curvesPanel();
        QCustomPlot *plot = view.curves();
        QSignalSpy shown(panel, &CompareCurvesPanel::curvesShown);
        view.setStore(&worker);
        view.setRuns(ids_);
        QVERIFY(shown.wait(30000));
        QCOMPARE(plot->graphCount(), 2);
        // The whole range, thinned: at most two points per pixel column.
        const int columns = std::max(plot->width(), lwb::ui::kMinPlotColumns);
        QVERIFY(plot->graph(0)->dataCount() <= 2 * columns);
        const std::size_t before = pointsIn(plot, 10000.0, 10099.0).size();
        qInfo("whole-range read: %zu points of steps 10,000-10,099 on %d columns", before, columns);
        QVERIFY(before < 100);
        QVERIFY(!panel->isZoomed());
        saveScreenshot(view, QStringLiteral("compare_whole.png"));

        // A zoom onto steps 10,000..10,099: every step, its stored value.
        shown.clear();
        plot->xAxis->setRange(10000.0, 10099.0); // emits rangeChanged, as a wheel turn does
        QVERIFY(shown.wait(30000));
        QVERIFY(panel->isZoomed());
        QCOMPARE(plot->xAxis->range().lower, 10000.0); // the user's range stays
        QCOMPARE(plot->xAxis->range().upper, 10099.0);
        auto points = pointsIn(plot, 10000.0, 10099.0);
        QCOMPARE(points.size(), std::size_t(100));
        for (std::size_t i = 0; i < points.size(); ++i)
            QCOMPARE(points[i].first, 10000.0 + double(i));
        for (int step : {10000, 10037, 10099})
            QCOMPARE(points[std::size_t(step - 10000)].second, loss(0, step));
        const auto second = plot->graph(1)->data()->findBegin(10050.0, false);
        QCOMPARE(second->key, 10050.0);
        QCOMPARE(second->value, loss(1, 10050));
        if (qEnvironmentVariableIsSet("LWB_SCREENSHOT_DIR")) {
            plot->yAxis->rescale(); // the window's values only: it holds no other points
            plot->yAxis->scaleRange(1.15);
            saveScreenshot(view, QStringLiteral("compare_zoomed.png"));
        }

        // A drag by 50 steps: the window moves with it.
        shown.clear();
        plot->xAxis->moveRange(50.0);
        QVERIFY(shown.wait(30000));
        points = pointsIn(plot, 10050.0, 10149.0);
        QCOMPARE(points.size(), std::size_t(100));
        QCOMPARE(points.back().first, 10149.0);
        QCOMPARE(points.back().second, loss(0, 10149));

        // A double click: the whole-range curves, the axes fitted to them.
        QTest::mouseDClick(plot, Qt::LeftButton, {}, plot->axisRect()->rect().center());
        QVERIFY(!panel->isZoomed());
        QVERIFY(plot->graph(0)->dataCount() <= 2 * columns);
        QCOMPARE(plot->xAxis->range().lower, 1.0);
        QCOMPARE(plot->xAxis->range().upper, double(kSteps));
        QVERIFY(!view.isLoading()); // fitting the axes is no zoom: nothing read

        // By tokens: a window of 100 steps' tokens reads those steps.
        view.setXAxis(CompareView::XAxis::Tokens);
        shown.clear();
        plot->xAxis->setRange(5000.0 * kTokensPerStep, 5099.0 * kTokensPerStep);
        QVERIFY(shown.wait(30000));
        points = pointsIn(plot, 5000.0 * kTokensPerStep, 5099.0 * kTokensPerStep);
        QCOMPARE(points.size(), std::size_t(100));
        QCOMPARE(points[42].first, 5042.0 * kTokensPerStep);
        QCOMPARE(points[42].second, loss(0, 5042));

        // Zoomed out over all the data: the whole-range curves, no read.
        shown.clear();
        plot->xAxis->setRange(-1e6, 2e7);
        QVERIFY(shown.wait(30000));
        QVERIFY(!panel->isZoomed());
        QVERIFY(plot->graph(0)->dataCount() <= 2 * columns);
    }

private:
    QTemporaryDir userData_;
    QTemporaryDir dir_;
    QVector<qint64> ids_;
};

QTEST_MAIN(CompareViewTest)
#include "compare_view_test.moc"
