// DownsampledSeries: short series are kept exactly; long ones stay under the
// point budget with uniform buckets whose min and max are the true extremes of
// their step range (so spikes and dips survive); NaN shows as a gap; clear()
// and the revision counter that drives the plot's redraw.
#include "ui/downsampled_series.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <random>

using lwb::ui::DownsampledSeries;

class DownsampledSeriesTest : public QObject
{
    Q_OBJECT

private slots:
    void shortSeriesIsKeptExactly()
    {
        DownsampledSeries series(4000);
        for (int i = 0; i < 100; ++i)
            series.append(i, 10.0 - 0.05 * i);
        const auto points = series.points();
        QCOMPARE(points.size(), 100);
        QCOMPARE(series.stride(), std::int64_t{1});
        for (int i = 0; i < 100; ++i) {
            QCOMPARE(points[i].x(), double(i));
            QCOMPARE(points[i].y(), 10.0 - 0.05 * i);
        }
    }

    void memoryStaysBoundedForMillionsOfPoints()
    {
        DownsampledSeries series(300);
        std::mt19937 random(7);
        std::normal_distribution<double> noise(2.0, 0.1);
        const int n = 2'000'000;
        for (int i = 0; i < n; ++i)
            series.append(i, noise(random));
        QCOMPARE(series.sampleCount(), std::int64_t{n});
        QVERIFY(series.bucketCount() <= 100); // 300 points / 3 per bucket at most
        QVERIFY(series.points().size() <= 300);
        QVERIFY(series.bucketCount() >= 50); // compaction halves, never more
        // Every sample is in a bucket: full buckets of `stride` plus one partial.
        QVERIFY(series.stride() * series.bucketCount() >= n);
        QVERIFY(series.stride() * (series.bucketCount() - 1) < n);
    }

    void bucketsKeepTheTrueMinAndMaxOfTheirRange()
    {
        DownsampledSeries series(200);
        std::mt19937 random(11);
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        std::vector<double> values(10007);
        for (auto &value : values)
            value = uniform(random);
        values[777] = 50.0;   // a one-step spike
        values[4321] = -20.0; // a one-step dip
        for (std::size_t i = 0; i < values.size(); ++i)
            series.append(double(i), values[i]);

        const auto stride = series.stride();
        QVERIFY(stride > 1);
        const auto points = series.points();
        for (std::int64_t begin = 0; begin < std::int64_t(values.size()); begin += stride) {
            const auto end = std::min<std::int64_t>(begin + stride, values.size());
            const auto [lo, hi] = std::minmax_element(values.begin() + begin, values.begin() + end);
            bool foundMin = false;
            bool foundMax = false;
            for (const auto &point : points) {
                if (point.x() < begin || point.x() >= end)
                    continue;
                foundMin |= point.y() == *lo && point.x() == double(lo - values.begin());
                foundMax |= point.y() == *hi && point.x() == double(hi - values.begin());
            }
            QVERIFY2(foundMin && foundMax, qPrintable(QStringLiteral("bucket at %1").arg(begin)));
        }
        const auto [minPoint, maxPoint] = std::minmax_element(
            points.begin(), points.end(), [](const QPointF &a, const QPointF &b) { return a.y() < b.y(); });
        QCOMPARE(minPoint->y(), -20.0);
        QCOMPARE(minPoint->x(), 4321.0);
        QCOMPARE(maxPoint->y(), 50.0);
        QCOMPARE(maxPoint->x(), 777.0);
    }

    void pointsAreInStepOrder()
    {
        DownsampledSeries series(64);
        std::mt19937 random(3);
        std::uniform_real_distribution<double> uniform(-1.0, 1.0);
        for (int i = 0; i < 5000; ++i)
            series.append(i, uniform(random));
        const auto points = series.points();
        QVERIFY(!points.isEmpty());
        for (int i = 1; i < points.size(); ++i)
            QVERIFY(points[i - 1].x() < points[i].x());
        QVERIFY(points.front().x() >= 0.0);
        QVERIFY(points.back().x() <= 4999.0);
    }

    void nanSurvivesAsAGap()
    {
        DownsampledSeries series(30);
        for (int i = 0; i < 1000; ++i)
            series.append(i, i == 500 ? std::numeric_limits<double>::quiet_NaN() : 1.0);
        QVERIFY(series.stride() > 1);
        int nanCount = 0;
        for (const auto &point : series.points()) {
            if (std::isnan(point.y())) {
                ++nanCount;
                QCOMPARE(point.x(), 500.0);
            }
        }
        QCOMPARE(nanCount, 1);
        QVERIFY(series.points().size() <= 30);
    }

    void clearStartsOverAndRevisionTracksChanges()
    {
        DownsampledSeries series(100);
        const auto r0 = series.revision();
        series.append(1, 1);
        const auto r1 = series.revision();
        QVERIFY(r1 != r0);
        for (int i = 0; i < 1000; ++i)
            series.append(i, i);
        series.clear();
        QVERIFY(series.revision() != r1);
        QVERIFY(series.isEmpty());
        QCOMPARE(series.sampleCount(), std::int64_t{0});
        QCOMPARE(series.stride(), std::int64_t{1});
        series.append(5, 2);
        QCOMPARE(series.points(), QVector<QPointF>{QPointF(5, 2)});
    }
};

QTEST_APPLESS_MAIN(DownsampledSeriesTest)
#include "downsampled_series_test.moc"
