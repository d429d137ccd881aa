// storage/run_statistics.h and storage/seed_groups.h against values published
// elsewhere, never against this project's own output:
// - Student-t quantiles as printed by R's qt() and every t table
//   (qt(0.975, 1) = 12.706205, ...);
// - R's `t.test(extra ~ group, data = sleep, paired = TRUE)` on Student's
//   1908 sleep data (R's datasets::sleep): t = -4.0621, df = 9,
//   p-value = 0.002833, 95 % CI -2.4598858 .. -0.7001142, mean difference -1.58.
#include "storage/run_statistics.h"
#include "storage/seed_groups.h"

#include "engine/core/error.h"

#include <QtTest>

#include <cmath>

using namespace lwb::storage;

class RunStatisticsTest : public QObject
{
    Q_OBJECT

private slots:
    void quantilesMatchPublishedTable_data()
    {
        QTest::addColumn<double>("p");
        QTest::addColumn<double>("df");
        QTest::addColumn<double>("expected");
        QTest::newRow("0.975, 1") << 0.975 << 1.0 << 12.706205;
        QTest::newRow("0.975, 2") << 0.975 << 2.0 << 4.302653;
        QTest::newRow("0.975, 4") << 0.975 << 4.0 << 2.776445;
        QTest::newRow("0.975, 9") << 0.975 << 9.0 << 2.262157;
        QTest::newRow("0.975, 30") << 0.975 << 30.0 << 2.042272;
        QTest::newRow("0.995, 10") << 0.995 << 10.0 << 3.169273;
        QTest::newRow("0.95, 5") << 0.95 << 5.0 << 2.015048;
        QTest::newRow("0.025, 4 (lower tail)") << 0.025 << 4.0 << -2.776445;
    }
    void quantilesMatchPublishedTable()
    {
        QFETCH(double, p);
        QFETCH(double, df);
        QFETCH(double, expected);
        QVERIFY2(std::abs(studentTQuantile(p, df) - expected) < 5e-7,
                 qPrintable(QString::number(studentTQuantile(p, df), 'g', 12)));
        QVERIFY(std::abs(studentTCdf(expected, df) - p) < 1e-7);
    }

    void cdfIsSymmetricAndBounded()
    {
        QCOMPARE(studentTCdf(0.0, 3.0), 0.5);
        QVERIFY(std::abs(studentTCdf(1.3, 7.0) + studentTCdf(-1.3, 7.0) - 1.0) < 1e-14);
        QCOMPARE(studentTCdf(INFINITY, 3.0), 1.0);
        QCOMPARE(studentTCdf(-INFINITY, 3.0), 0.0);
        // df = 1 is the Cauchy distribution: P(T <= 1) = 3/4.
        QVERIFY(std::abs(studentTCdf(1.0, 1.0) - 0.75) < 1e-14);
    }

    void pairedTestMatchesRonStudentsSleepData()
    {
        const std::vector<double> drug1 = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
        const std::vector<double> drug2 = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
        const PairedTest test = pairedTTest(drug1, drug2);
        QCOMPARE(test.pairs, std::size_t(10));
        QCOMPARE(test.degreesOfFreedom, 9.0);
        QVERIFY(std::abs(test.meanDifference - -1.58) < 1e-12);
        QVERIFY2(std::abs(test.t - -4.0621) < 5e-5, qPrintable(QString::number(test.t, 'g', 10)));
        QVERIFY2(std::abs(test.pValue - 0.002833) < 5e-7, qPrintable(QString::number(test.pValue, 'g', 10)));
        QVERIFY(std::abs(test.low - -2.4598858) < 5e-8);
        QVERIFY(std::abs(test.high - -0.7001142) < 5e-8);
        // Swapping the sides flips the sign, not the evidence.
        const PairedTest swapped = pairedTTest(drug2, drug1);
        QVERIFY(std::abs(swapped.t - -test.t) < 1e-12);
        QVERIFY(std::abs(swapped.pValue - test.pValue) < 1e-15);
    }

    void pairedTestEdgeCases()
    {
        const PairedTest same = pairedTTest({1.0, 2.0, 3.0}, {1.0, 2.0, 3.0});
        QCOMPARE(same.t, 0.0);
        QCOMPARE(same.pValue, 1.0);
        const PairedTest shifted = pairedTTest({2.0, 3.0, 4.0}, {1.0, 2.0, 3.0});
        QVERIFY(std::isinf(shifted.t) && shifted.t > 0);
        QCOMPARE(shifted.pValue, 0.0);
        QVERIFY_THROWS_EXCEPTION(lwb::Error, pairedTTest({1.0, 2.0}, {1.0}));
        QVERIFY_THROWS_EXCEPTION(lwb::Error, pairedTTest({1.0}, {2.0}));
    }

    void meanIntervalOfSleepGroup()
    {
        // R: t.test(sleep$extra[1:10]): mean 0.75, 95 % CI -0.5297804 .. 2.0297804.
        const MeanInterval interval = meanInterval({0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0});
        QCOMPARE(interval.count, std::size_t(10));
        QVERIFY(std::abs(interval.mean - 0.75) < 1e-12);
        QVERIFY(std::abs(interval.low - -0.5297804) < 5e-8);
        QVERIFY(std::abs(interval.high - 2.0297804) < 5e-8);
        QCOMPARE(interval.minimum, -1.6);
        QCOMPARE(interval.maximum, 3.7);
    }

    void meanIntervalOfFewValues()
    {
        const MeanInterval one = meanInterval({0.5});
        QCOMPARE(one.mean, 0.5);
        QCOMPARE(one.low, 0.5);
        QCOMPARE(one.high, 0.5);
        QVERIFY(std::isnan(one.halfWidth));
        QVERIFY(std::isnan(meanInterval({}).mean));
        QVERIFY_THROWS_EXCEPTION(lwb::Error, meanInterval({1.0, 2.0}, 1.0));
    }

    void seedGroupsIgnoreOnlySeedIndependentKeys()
    {
        const std::string base = R"({"name":"a","seed":1,"threads":2,"adapter":{"r":8},
                                     "training":{"lr":0.003,"output_dir":"x"}})";
        const std::string otherSeed = R"({"seed":7,"name":"b","threads":1,"adapter":{"r":8},
                                          "training":{"output_dir":"y","lr":0.003,"resume_from":"z"}})";
        const std::string otherRank = R"({"name":"a","seed":1,"threads":2,"adapter":{"r":16},
                                          "training":{"lr":0.003,"output_dir":"x"}})";
        QCOMPARE(seedGroupKey(base), seedGroupKey(otherSeed));
        QVERIFY(seedGroupKey(base) != seedGroupKey(otherRank));
        QVERIFY_THROWS_EXCEPTION(lwb::Error, seedGroupKey("[1, 2]"));

        auto run = [](std::int64_t id, std::uint64_t seed, const std::string &config) {
            RunRecord record;
            record.id = id;
            record.seed = seed;
            record.configJson = config;
            return record;
        };
        const auto groups = groupRunsBySeed(
            {run(1, 1, base), run(2, 2, otherRank), run(3, 7, otherSeed), run(4, 7, otherSeed), run(5, 3, "not json")});
        QCOMPARE(groups.size(), std::size_t(3));
        QCOMPARE(groups[0].runIds, (std::vector<std::int64_t>{1, 3, 4}));
        QCOMPARE(groups[0].seeds, (std::vector<std::uint64_t>{1, 7, 7}));
        QVERIFY(!groups[0].seedsDistinct);
        QCOMPARE(groups[1].runIds, (std::vector<std::int64_t>{2}));
        QCOMPARE(groups[2].key, std::string("run:5"));
    }
};

QTEST_APPLESS_MAIN(RunStatisticsTest)
#include "run_statistics_test.moc"
