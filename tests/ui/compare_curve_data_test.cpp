// The compare view's curve thinning (ui/compare_curve_data.h) on plain values,
// then through the view on a real store: per pixel column of the plot, every
// series keeps the point of its lowest and of its highest value, so a one-step
// spike survives thinning; a series shorter than the plot keeps every point.
// The expected column extremes are found here by a direct scan of the raw
// series, column by column, independent of the code under test.
#include "ui/compare_curve_data.h"
#include "ui/compare_view.h"
#include "ui/store_worker.h"

#include "long_run_store_fixture.h"
#include "user_data_isolation.h"

#include <qcustomplot.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <set>
#include <utility>

using lwb::ui::CompareAxis;
using lwb::ui::SeriesCurve;

namespace {

double noisyLoss(int step)
{
    return 3.0 / (1.0 + 0.001 * step) + 0.05 * std::sin(step * 0.37);
}

// The raw points with the lowest and the highest y of each column, by a scan
// of the column's points (ties: the first).
std::vector<std::pair<double, double>> expectedExtremes(const SeriesCurve &raw, double xMin, double xMax, int columns)
{
    std::vector<std::pair<double, double>> out;
    const double width = (xMax - xMin) / columns;
    for (int column = 0; column < columns; ++column) {
        int lowest = -1;
        int highest = -1;
        for (int i = 0; i < raw.x.size(); ++i) {
            const int c = std::min(columns - 1, int(std::floor((raw.x[i] - xMin) / width)));
            if (c != column || std::isnan(raw.y[i]))
                continue;
            if (lowest < 0 || raw.y[i] < raw.y[lowest])
                lowest = i;
            if (highest < 0 || raw.y[i] > raw.y[highest])
                highest = i;
        }
        if (lowest >= 0) {
            out.emplace_back(raw.x[lowest], raw.y[lowest]);
            out.emplace_back(raw.x[highest], raw.y[highest]);
        }
    }
    return out;
}

bool contains(const SeriesCurve &curve, double x, double y)
{
    for (int i = 0; i < curve.x.size(); ++i)
        if (curve.x[i] == x && curve.y[i] == y)
            return true;
    return false;
}

} // namespace

class CompareCurveDataTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { lwb::ui::test::keepUserDataIn(userData_); }

    void thinningKeepsEveryColumnsMinAndMax()
    {
        SeriesCurve raw;
        for (int step = 1; step <= 100000; ++step) {
            raw.x << step;
            raw.y << noisyLoss(step);
        }
        raw.y[54320] = 10.0; // step 54321: a spike far above the curve
        raw.y[77776] = -5.0; // step 77777: a dip far below it
        constexpr int kColumns = 1000;
        const SeriesCurve thin = lwb::ui::thinnedCurve(raw, 1.0, 100000.0, kColumns);
        QVERIFY(thin.x.size() <= 2 * kColumns);
        QCOMPARE(thin.x.size(), thin.y.size());
        for (int i = 1; i < thin.x.size(); ++i)
            QVERIFY(thin.x[i - 1] < thin.x[i]); // original order, each point once
        QVERIFY(contains(thin, 54321.0, 10.0));
        QVERIFY(contains(thin, 77777.0, -5.0));
        const auto expected = expectedExtremes(raw, 1.0, 100000.0, kColumns);
        QCOMPARE(int(expected.size()), 2 * kColumns);
        for (const auto &[x, y] : expected)
            QVERIFY2(contains(thin, x, y), qPrintable(QStringLiteral("missing (%1, %2)").arg(x).arg(y)));
    }

    void aShortSeriesKeepsEveryPoint()
    {
        SeriesCurve raw;
        for (int step = 1; step <= 200; ++step) {
            raw.x << step * 512.0;
            raw.y << noisyLoss(step);
        }
        const SeriesCurve thin = lwb::ui::thinnedCurve(raw, 512.0, 200 * 512.0, lwb::ui::kMinPlotColumns);
        QCOMPARE(thin.x, raw.x);
        QCOMPARE(thin.y, raw.y);
    }

    void aNanStaysAGap()
    {
        SeriesCurve raw;
        for (int step = 1; step <= 10000; ++step) {
            raw.x << step;
            raw.y << (step == 4242 ? std::nan("") : noisyLoss(step));
        }
        const SeriesCurve thin = lwb::ui::thinnedCurve(raw, 1.0, 10000.0, 100);
        int nans = 0;
        for (int i = 0; i < thin.x.size(); ++i)
            if (std::isnan(thin.y[i])) {
                ++nans;
                QCOMPARE(thin.x[i], 4242.0);
            }
        QCOMPARE(nans, 1);
    }

    void everyAxisAndBandIsBuiltFromOneRead()
    {
        // Two seeds of one config: y = base and base + 1 at every step; tokens
        // logged every 10th step at 256 per step (interpolated between).
        std::vector<lwb::ui::RunSeriesPoints> runs(2);
        for (int r = 0; r < 2; ++r) {
            for (int step = 1; step <= 3000; ++step)
                runs[r].points.push_back({step, noisyLoss(step) + r, 0.5 * step});
            for (int step = 0; step <= 3000; step += 10)
                runs[r].tokens.push_back({step, 256.0 * step, 0.0});
        }
        runs[1].points[1499].value = 50.0; // a spike in the second seed at step 1500
        const auto data = lwb::ui::buildCompareCurves(runs, {{0, 1}}, 600);
        const auto &steps = data.axis(CompareAxis::Step);
        const auto &tokens = data.axis(CompareAxis::Tokens);
        const auto &wall = data.axis(CompareAxis::WallTime);
        QCOMPARE(steps.runs.size(), std::size_t(2));
        QVERIFY(steps.runs[0].x.size() <= 2 * 600);
        QVERIFY(contains(steps.runs[1], 1500.0, 50.0));
        QVERIFY(contains(tokens.runs[1], 1500.0 * 256.0, 50.0));
        QVERIFY(contains(wall.runs[1], 750.0, 50.0));
        QCOMPARE(tokens.runs[0].x.front(), 256.0); // step 1, between tokens at steps 0 and 10
        // The group's band: max edge reaches the spike, the mean is halfway.
        QCOMPARE(steps.minMaxBands.size(), std::size_t(1));
        const auto &band = steps.minMaxBands[0];
        const auto at = band.x.indexOf(1500.0);
        QVERIFY(at >= 0);
        QCOMPARE(band.high[at], 50.0);
        QCOMPARE(band.low[at], noisyLoss(1500));
        QCOMPARE(band.mean[at], (50.0 + noisyLoss(1500)) / 2.0);
        QVERIFY(band.x.size() <= 6 * 600);
        QCOMPARE(steps.confidenceBands.size(), std::size_t(1));
        // No groups asked: no bands.
        QVERIFY(lwb::ui::buildCompareCurves(runs, {}, 600).axis(CompareAxis::Step).minMaxBands.empty());
    }

    // Through the view: a run of 40,000 steps read from a store is drawn with
    // at most two points per pixel column of the plot, and its spike is one.
    void theCompareViewDrawsTheSpike()
    {
        QTemporaryDir dir;
        lwb::ui::test::LongRunsSpec spec;
        spec.steps = 40000;
        spec.loss = [](int run, int step) { return noisyLoss(step) + (run == 1 && step == 31415 ? 20.0 : 0.0); };
        const QVector<qint64> ids = lwb::ui::test::writeLongRuns(dir.filePath(QStringLiteral("runs.db")), spec);
        lwb::ui::StoreWorker worker;
        worker.setPath(dir.filePath(QStringLiteral("runs.db")));
        lwb::ui::CompareView view;
        view.resize(900, 600);
        view.show();
        view.setStore(&worker);
        view.setRuns(ids);
        QTRY_VERIFY(!view.isLoading());
        QCOMPARE(view.curves()->graphCount(), 2);
        // The curves were thinned to the axis rect's width at the read, which is
        // under the plot widget's width.
        const int columns = std::max(view.curves()->width(), lwb::ui::kMinPlotColumns);
        const auto spiked = view.curves()->graph(1)->data();
        QVERIFY(spiked->size() <= 2 * columns);
        const auto found = spiked->findBegin(31415.0, false);
        QVERIFY(found != spiked->constEnd());
        QCOMPARE(found->key, 31415.0);
        QVERIFY(std::abs(found->value - (noisyLoss(31415) + 20.0)) < 1e-9);

        // Tokens on x: the same spike at 512 tokens per step, without a new read.
        view.setXAxis(lwb::ui::CompareView::XAxis::Tokens);
        QVERIFY(!view.isLoading());
        const auto byTokens = view.curves()->graph(1)->data();
        const auto spike = byTokens->findBegin(31415.0 * 512, false);
        QVERIFY(spike != byTokens->constEnd());
        QCOMPARE(spike->key, 31415.0 * 512);
        QVERIFY(std::abs(spike->value - (noisyLoss(31415) + 20.0)) < 1e-9);
    }

private:
    QTemporaryDir userData_;
};

QTEST_MAIN(CompareCurveDataTest)
#include "compare_curve_data_test.moc"
