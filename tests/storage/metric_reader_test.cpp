// Reading metrics back: scalar, vector and evaluation samples round-trip
// (floats bit for bit, NaN as NaN); step ranges cut; min/max downsampling
// keeps exactly each bucket's minimum and maximum, so spikes survive; and
// latest/best values follow the series' direction.
#include "store_test_support.h"

#include "storage/metric_reader.h"
#include "storage/run_store.h"
#include "storage/sample_writer.h"
#include "storage/series_downsampler.h"
#include "storage/sqlite_database.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <limits>
#include <random>

using namespace lwb::storage;

namespace {

// Brute-force reference: for each bucket of the same width, the min and max point.
std::vector<SeriesPoint> referenceMinMax(const std::vector<SeriesPoint> &points, std::size_t buckets)
{
    const std::int64_t first = points.front().step;
    const std::int64_t span = points.back().step - first + 1;
    const std::int64_t width = (span + std::int64_t(buckets) - 1) / std::int64_t(buckets);
    std::map<std::int64_t, std::vector<SeriesPoint>> byBucket;
    for (const SeriesPoint &point : points)
        byBucket[(point.step - first) / width].push_back(point);
    std::vector<SeriesPoint> out;
    for (auto &[bucket, members] : byBucket) {
        // The sampler keeps the first minimum and the first maximum of a bucket.
        auto byValue = [](const SeriesPoint &x, const SeriesPoint &y) { return x.value < y.value; };
        const SeriesPoint a = *std::min_element(members.begin(), members.end(), byValue);
        const SeriesPoint b = *std::max_element(members.begin(), members.end(), byValue);
        if (a.step == b.step) {
            out.push_back(a);
        } else {
            out.push_back(a.step < b.step ? a : b);
            out.push_back(a.step < b.step ? b : a);
        }
    }
    return out;
}

} // namespace

class MetricReaderTest : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        store_ = std::make_unique<RunStore>(dir_.filePath("runs.db").toStdString());
        NewRun run;
        run.name = "metrics";
        runId_ = store_->createRun(run);
    }
    void cleanup()
    {
        store_.reset();
        std::filesystem::remove(dir_.filePath("runs.db").toStdString());
    }

    void scalarRoundTripWithNaN()
    {
        SampleWriter writer(store_->database());
        writer.writeScalar(runId_, {"train/loss", 1, 2.5, 0.25});
        writer.writeScalar(runId_, {"train/loss", 2, std::numeric_limits<double>::quiet_NaN(), 0.5});
        writer.writeScalar(runId_, {"train/loss", 3, 1.0 / 3.0, 0.75});
        writer.writeScalar(runId_, {"train/loss", 3, 0.125, 0.8}); // same step again: replaces
        MetricReader reader(*store_);
        const auto points = reader.scalarSeries(runId_, "train/loss");
        QCOMPARE(points.size(), std::size_t(3));
        QCOMPARE(points[0].value, 2.5);
        QCOMPARE(points[0].wallSeconds, 0.25);
        QVERIFY(std::isnan(points[1].value));
        QCOMPARE(points[2].value, 0.125);
        QCOMPARE(reader.scalarSeriesNames(runId_), std::vector<std::string>{"train/loss"});
        QVERIFY(reader.scalarSeries(runId_, "no/such/series").empty());
    }

    void stepMetricsBecomeNamedSeries()
    {
        SampleWriter writer(store_->database());
        SampleBatch batch;
        lwb::StepMetrics metrics = test::makeStep(10, 2);
        metrics.peakMemoryBytes = 1 << 30;
        appendSamples(metrics, batch);
        QCOMPARE(batch.size(), sampleCount(metrics));
        writer.write(runId_, batch);
        MetricReader reader(*store_);
        const auto names = reader.scalarSeriesNames(runId_);
        for (const char *name : {"train/loss", "train/lr", "train/grad_norm", "train/tokens_per_s", "train/tokens",
                                 "train/peak_memory", "train/aux_loss", "routing/entropy", "routing/dropped_fraction",
                                 "routing/entropy/model.layers.1.mlp.down_proj",
                                 "routing/dropped_fraction/model.layers.1.mlp.down_proj"}) {
            QVERIFY2(std::find(names.begin(), names.end(), name) != names.end(), name);
        }
        QCOMPARE(reader.scalarSeries(runId_, "routing/entropy").front().value, (1.0 + 1.1) / 2);
        QCOMPARE(reader.scalarSeries(runId_, "routing/dropped_fraction").front().value, 10.0 / 2000.0);
        QCOMPARE(reader.vectorSeriesNames(runId_), std::vector<std::string>{"routing/expert_load"});
        QCOMPARE(reader.vectorLayers(runId_, "routing/expert_load").size(), std::size_t(2));
    }

    void vectorRoundTripIsBitExact()
    {
        SampleWriter writer(store_->database());
        const std::vector<float> load{0.1f, 0.2f, 0.3f, 0.4f, std::numeric_limits<float>::denorm_min(), -0.0f};
        for (std::int64_t step = 1; step <= 50; ++step)
            writer.writeVector(runId_, {"routing/expert_load", "layer.0", step, load, 0.1 * step});
        MetricReader reader(*store_);
        const auto points = reader.vectorSeries(runId_, "routing/expert_load", "layer.0");
        QCOMPARE(points.size(), std::size_t(50));
        QCOMPARE(std::memcmp(points[7].values.data(), load.data(), load.size() * sizeof(float)), 0);
        SeriesQuery range;
        range.fromStep = 10;
        range.toStep = 19;
        QCOMPARE(reader.vectorSeries(runId_, "routing/expert_load", "layer.0", range).size(), std::size_t(10));
        SeriesQuery thin;
        thin.maxPoints = 7;
        const auto thinned = reader.vectorSeries(runId_, "routing/expert_load", "layer.0", thin);
        QVERIFY(thinned.size() <= 7);
        QCOMPARE(thinned.back().step, std::int64_t(50)); // ends on the latest
    }

    void evaluationsRoundTrip()
    {
        SampleWriter writer(store_->database());
        SampleBatch batch;
        appendSamples(lwb::EvalMetrics{100, 1.5, std::exp(1.5), 2048, {{"copy", 0.75}, {"reverse", 0.25}}}, 12.0,
                      batch);
        writer.write(runId_, batch);
        MetricReader reader(*store_);
        const auto records = reader.evaluations(runId_);
        QCOMPARE(records.size(), std::size_t(5));
        std::map<std::pair<std::string, std::string>, double> byKey;
        for (const auto &record : records) {
            QCOMPARE(record.step, std::int64_t(100));
            byKey[{record.task, record.metric}] = record.value;
        }
        QCOMPARE(byKey[std::make_pair(std::string("all"), std::string("loss"))], 1.5);
        QCOMPARE(byKey[std::make_pair(std::string("copy"), std::string("exact_match"))], 0.75);
        QCOMPARE(reader.scalarSeries(runId_, "eval/exact_match/reverse").front().value, 0.25);
        QCOMPARE(reader.scalarSeries(runId_, "eval/perplexity").front().wallSeconds, 12.0);
    }

    void stepRange()
    {
        writeSeries("train/loss", 1, 100, [](std::int64_t s) { return double(s); });
        MetricReader reader(*store_);
        SeriesQuery query;
        query.fromStep = 10;
        query.toStep = 20;
        const auto points = reader.scalarSeries(runId_, "train/loss", query);
        QCOMPARE(points.size(), std::size_t(11));
        QCOMPARE(points.front().step, std::int64_t(10));
        QCOMPARE(points.back().step, std::int64_t(20));
    }

    void downsamplingKeepsMinAndMaxPerBucket()
    {
        // A smooth curve with noise and three spikes, one of them NaN.
        std::mt19937 random(1234);
        std::normal_distribution<double> noise(0.0, 0.01);
        std::vector<SeriesPoint> all;
        for (std::int64_t step = 1; step <= 20000; ++step) {
            double value = 2.0 * std::exp(-double(step) / 5000.0) + noise(random);
            if (step == 4321)
                value = 50.0;  // loss spike
            if (step == 15000)
                value = -7.0;  // dip
            all.push_back({step, value, 0.01 * double(step)});
        }
        writeSeries("train/loss", 1, 20000, [&](std::int64_t s) { return all[s - 1].value; });
        SampleWriter(store_->database()).writeScalar(runId_, {"train/loss", 9999, std::nan(""), 99.99});
        all[9998].value = std::nan("");

        MetricReader reader(*store_);
        SeriesQuery query;
        query.maxPoints = 400;
        const auto points = reader.scalarSeries(runId_, "train/loss", query);
        QVERIFY(points.size() <= 400);
        QVERIFY(points.size() >= 200);
        for (std::size_t i = 1; i < points.size(); ++i)
            QVERIFY(points[i - 1].step < points[i].step);
        auto hasStep = [&](std::int64_t step) {
            return std::any_of(points.begin(), points.end(), [&](const SeriesPoint &p) { return p.step == step; });
        };
        QVERIFY(hasStep(4321));
        QVERIFY(hasStep(15000));
        QVERIFY(hasStep(9999));

        // Buckets without NaN match a brute-force min/max exactly.
        std::vector<SeriesPoint> finite = all;
        const auto reference = referenceMinMax(finite, 200);
        std::size_t compared = 0;
        for (const SeriesPoint &expected : reference) {
            if (std::isnan(expected.value) || (expected.step >= 9901 && expected.step <= 10000))
                continue; // the NaN's bucket is checked by hasStep above
            QVERIFY2(hasStep(expected.step), std::to_string(expected.step).c_str());
            ++compared;
        }
        QVERIFY(compared > 300);
    }

    void shortSeriesIsNotDownsampled()
    {
        writeSeries("eval/loss", 100, 100 * 50, [](std::int64_t s) { return 1.0 / double(s); }, 100);
        MetricReader reader(*store_);
        SeriesQuery query;
        query.maxPoints = 2000;
        QCOMPARE(reader.scalarSeries(runId_, "eval/loss", query).size(), std::size_t(50));
    }

    void downsamplerUnit()
    {
        std::vector<SeriesPoint> points;
        for (std::int64_t step = 0; step < 10; ++step)
            points.push_back({step, double(step % 3), 0.0});
        // 10 steps, 2 buckets of 5: [0,1,2,0,1] and [2,0,1,2,0].
        const auto out = downsampleMinMax(points, 4);
        QCOMPARE(out.size(), std::size_t(4));
        QCOMPARE(out[0].step, std::int64_t(0)); // min 0
        QCOMPARE(out[1].step, std::int64_t(2)); // max 2
        QCOMPARE(out[2].step, std::int64_t(5)); // max 2 comes first in bucket 2
        QCOMPARE(out[3].step, std::int64_t(6)); // min 0
        QCOMPARE(downsampleMinMax(points, 0).size(), std::size_t(10));
    }

    void latestAndBest()
    {
        writeSeries("train/loss", 1, 100, [](std::int64_t s) { return s == 60 ? 0.1 : 1.0 + 1.0 / double(s); });
        writeSeries("eval/exact_match/copy", 10, 100, [](std::int64_t s) { return s == 50 ? 0.9 : 0.5; }, 10);
        SampleWriter(store_->database()).writeScalar(runId_, {"train/loss", 101, std::nan(""), 10.1});
        MetricReader reader(*store_);
        const auto loss = reader.summary(runId_, "train/loss");
        QVERIFY(loss.has_value());
        QCOMPARE(loss->latestStep, std::int64_t(100)); // the NaN at 101 is not a value
        QCOMPARE(loss->latestValue, 1.01);
        QCOMPARE(loss->bestStep, std::int64_t(60));
        QCOMPARE(loss->bestValue, 0.1);
        QCOMPARE(loss->count, std::int64_t(101));
        QVERIFY(!loss->higherIsBetter);
        const auto match = reader.summary(runId_, "eval/exact_match/copy");
        QVERIFY(match->higherIsBetter);
        QCOMPARE(match->bestStep, std::int64_t(50));
        QCOMPARE(match->bestValue, 0.9);
        QCOMPARE(reader.summaries(runId_).size(), std::size_t(2));
        QVERIFY(!reader.summary(runId_, "train/lr").has_value());
    }

    void manyRunsAtOnce()
    {
        NewRun other;
        other.name = "other";
        const std::int64_t second = store_->createRun(other);
        writeSeries("train/loss", 1, 30, [](std::int64_t s) { return double(s); });
        SampleWriter writer(store_->database());
        for (std::int64_t step = 1; step <= 10; ++step)
            writer.writeScalar(second, {"train/loss", step, -double(step), 0.0});
        MetricReader reader(*store_);
        const auto series = reader.scalarSeries({runId_, second, 999}, "train/loss");
        QCOMPARE(series.size(), std::size_t(3));
        QCOMPARE(series[0].points.size(), std::size_t(30));
        QCOMPARE(series[1].points.size(), std::size_t(10));
        QCOMPARE(series[1].runId, second);
        QVERIFY(series[2].points.empty());
    }

private:
    template <typename Function>
    void writeSeries(const std::string &name, std::int64_t first, std::int64_t last, Function value,
                     std::int64_t stride = 1)
    {
        SampleWriter writer(store_->database());
        Transaction transaction(store_->database());
        for (std::int64_t step = first; step <= last; step += stride)
            writer.writeScalar(runId_, {name, step, value(step), 0.01 * double(step)});
        transaction.commit();
    }

    QTemporaryDir dir_;
    std::unique_ptr<RunStore> store_;
    std::int64_t runId_ = 0;
};

QTEST_APPLESS_MAIN(MetricReaderTest)
#include "metric_reader_test.moc"
