// Reading metrics back: scalar, vector and evaluation samples round-trip
// (floats bit for bit, NaN as NaN); step ranges cut; min/max downsampling
// keeps exactly each bucket's minimum and maximum, so spikes survive; and
// latest/best values follow the series' direction.
#include "store_test_support.h"

#include "storage/dlp_study_reader.h"
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

// Brute-force reference: group by bucket, then each bucket's first minimum
// and first maximum (NaN ignored here; callers skip buckets holding one).
std::vector<SeriesPoint> referenceMinMax(const std::vector<SeriesPoint> &points, const BucketPlan &plan)
{
    std::map<std::int64_t, std::vector<SeriesPoint>> byBucket;
    for (const SeriesPoint &point : points) {
        if (!std::isnan(point.value))
            byBucket[(point.step - plan.origin) / plan.width].push_back(point);
    }
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
        writeScalars(runId_, {{"train/loss", 1, 2.5, 0.25},
                              {"train/loss", 2, std::numeric_limits<double>::quiet_NaN(), 0.5},
                              {"train/loss", 3, 1.0 / 3.0, 0.75}});
        writeScalars(runId_, {{"train/loss", 3, 0.125, 0.8}}); // same step again: replaces
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
                                 "train/peak_memory", "train/aux_loss", "routing/entropy", "routing/mean_entropy",
                                 "routing/dropped_fraction", "routing/entropy/model.layers.1.mlp.down_proj",
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
        const std::vector<float> load{0.1f, 0.2f, 0.3f, 0.4f, std::numeric_limits<float>::denorm_min(), -0.0f};
        SampleBatch batch;
        for (std::int64_t step = 1; step <= 50; ++step)
            batch.vectors.push_back({"routing/expert_load", "layer.0", step, load, 0.1 * double(step)});
        SampleWriter(store_->database()).write(runId_, batch);
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
        appendSamples(lwb::EvalMetrics{100, 1.5, std::exp(1.5), 2048, {{"copy", 0.75}, {"reverse", 0.25}}, {}}, 12.0,
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

    void dlpStudyEvaluationRoundTrips()
    {
        // A DLP-LoRA study's one evaluation: no loss (none was computed), the
        // four exact-match columns, the plugin's figures, the two matrices in
        // library order (which is not alphabetical here).
        lwb::EvalMetrics metrics;
        metrics.step = 600;
        metrics.exactMatchByTask = {{"upper", 0.75}, {"first", 0.5}};
        lwb::DlpStudyEval dlp;
        dlp.tasks = {"upper", "first"};
        dlp.ownExactMatch = {{"upper", 0.875}, {"first", 0.625}};
        dlp.oracleExactMatch = {{"upper", 0.8125}, {"first", 0.5625}};
        dlp.multiTaskExactMatch = {{"upper", 0.25}, {"first", 0.375}};
        dlp.multiTaskRank = 16;
        dlp.pluginAccuracy = 0.96875;
        dlp.pluginExamples = 64;
        dlp.pluginParameters = 4999248;
        dlp.pluginConfusion = {{31, 1}, {1, 31}};
        dlp.selections = {{30, 5}, {2, 32}};
        dlp.meanSelected = 1.15625;
        dlp.selectionCounts = {33, 39};
        metrics.dlp = dlp;
        SampleWriter writer(store_->database());
        SampleBatch batch;
        appendSamples(metrics, 40.0, batch);
        writer.write(runId_, batch);
        MetricReader reader(*store_);
        QVERIFY(reader.scalarSeries(runId_, "eval/loss").empty());
        QCOMPARE(reader.scalarSeries(runId_, "eval/plugin_accuracy").front().value, 0.96875);
        QCOMPARE(reader.scalarSeries(runId_, "eval/oracle_exact_match/first").front().value, 0.5625);
        QVERIFY(lwb::storage::higherIsBetter("eval/plugin_accuracy"));

        const auto back = lwb::storage::readDlpStudyEvaluation(*store_, runId_);
        QVERIFY(back.has_value());
        QCOMPARE(back->step, std::int64_t(600));
        QCOMPARE(back->exactMatchByTask, metrics.exactMatchByTask);
        QVERIFY(back->dlp.has_value());
        QCOMPARE(back->dlp->tasks, dlp.tasks);
        QCOMPARE(back->dlp->ownExactMatch, dlp.ownExactMatch);
        QCOMPARE(back->dlp->oracleExactMatch, dlp.oracleExactMatch);
        QCOMPARE(back->dlp->multiTaskExactMatch, dlp.multiTaskExactMatch);
        QCOMPARE(back->dlp->multiTaskRank, dlp.multiTaskRank);
        QCOMPARE(back->dlp->pluginAccuracy, dlp.pluginAccuracy);
        QCOMPARE(back->dlp->pluginExamples, dlp.pluginExamples);
        QCOMPARE(back->dlp->pluginParameters, dlp.pluginParameters);
        QCOMPARE(back->dlp->pluginConfusion, dlp.pluginConfusion);
        QCOMPARE(back->dlp->selections, dlp.selections);
        QCOMPARE(back->dlp->meanSelected, dlp.meanSelected);
        QCOMPARE(back->dlp->selectionCounts, dlp.selectionCounts);
    }

    void otherRunsHaveNoDlpEvaluation()
    {
        SampleWriter writer(store_->database());
        SampleBatch batch;
        appendSamples(lwb::EvalMetrics{100, 1.5, std::exp(1.5), 2048, {{"copy", 0.75}}, {}}, 12.0, batch);
        writer.write(runId_, batch);
        QVERIFY(!lwb::storage::readDlpStudyEvaluation(*store_, runId_).has_value());
    }

    void mergedEvaluationRoundTrips()
    {
        // A ResLoRA run's final evaluation, repeated after merging into LoRA.
        lwb::EvalMetrics metrics{300, 1.5, std::exp(1.5), 2048, {{"copy", 0.75}}, {}};
        metrics.hasMergedEval = true;
        metrics.mergedLoss = 1.625;
        metrics.mergedPerplexity = std::exp(1.625);
        metrics.mergedExactMatchByTask = {{"copy", 0.5}};
        SampleWriter writer(store_->database());
        SampleBatch batch;
        appendSamples(metrics, 30.0, batch);
        writer.write(runId_, batch);
        MetricReader reader(*store_);
        std::map<std::pair<std::string, std::string>, double> byKey;
        for (const auto &record : reader.evaluations(runId_))
            byKey[{record.task, record.metric}] = record.value;
        QCOMPARE(byKey.size(), std::size_t(7)); // loss, perplexity, tokens, EM; merged loss, perplexity, EM
        QCOMPARE(byKey[std::make_pair(std::string("all"), std::string("loss"))], 1.5);
        QCOMPARE(byKey[std::make_pair(std::string("all"), std::string("merged_loss"))], 1.625);
        QCOMPARE(byKey[std::make_pair(std::string("copy"), std::string("merged_exact_match"))], 0.5);
        QCOMPARE(reader.scalarSeries(runId_, "eval/merged_loss").front().value, 1.625);
        QCOMPARE(reader.scalarSeries(runId_, "eval/merged_perplexity").front().value, std::exp(1.625));
        QCOMPARE(reader.scalarSeries(runId_, "eval/merged_exact_match/copy").front().value, 0.5);
        QVERIFY(lwb::storage::higherIsBetter("eval/merged_exact_match/copy"));
        QVERIFY(!lwb::storage::higherIsBetter("eval/merged_loss"));
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
                value = 50.0; // loss spike
            if (step == 15000)
                value = -7.0; // dip
            all.push_back({step, value, 0.01 * double(step)});
        }
        writeSeries("train/loss", 1, 20000, [&](std::int64_t s) { return all[s - 1].value; });
        writeScalars(runId_, {{"train/loss", 9999, std::nan(""), 99.99}});
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
        const BucketPlan plan = planBuckets(1, 20000, 400);
        QVERIFY(!plan.blockAligned);
        const auto reference = referenceMinMax(all, plan);
        std::size_t compared = 0;
        for (const SeriesPoint &expected : reference) {
            if (expected.step >= 9901 && expected.step <= 10000)
                continue; // the NaN's bucket is checked by hasStep above
            QVERIFY2(hasStep(expected.step), std::to_string(expected.step).c_str());
            ++compared;
        }
        QVERIFY(compared > 300);
    }

    void rollupsGiveExactlyWhatAFullScanGives_data()
    {
        QTest::addColumn<qint64>("from");
        QTest::addColumn<qint64>("to");
        QTest::newRow("whole series") << qint64(-1) << qint64(-1);
        QTest::newRow("cut inside blocks") << qint64(12345) << qint64(250000);
        QTest::newRow("within two blocks") << qint64(1000) << qint64(1300);
    }

    void rollupsGiveExactlyWhatAFullScanGives()
    {
        QFETCH(qint64, from);
        QFETCH(qint64, to);
        // 300,000 steps to 2,000 points: buckets of whole 256-step blocks.
        std::mt19937 random(99);
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        std::vector<SeriesPoint> all;
        for (std::int64_t step = 0; step < 300000; ++step) {
            double value = uniform(random);
            if (step % 7919 == 0)
                value = 100.0 + double(step); // spikes
            if (step == 123456 || step == 200001)
                value = std::nan("");
            all.push_back({step, value, 0.01 * double(step)}); // the wall time writeSeries uses
        }
        writeSeries("train/loss", 0, 299999, [&](std::int64_t s) { return all[s].value; });

        SeriesQuery query;
        if (from >= 0) {
            query.fromStep = from;
            query.toStep = to;
        }
        query.maxPoints = 2000;
        MetricReader reader(*store_);
        const auto points = reader.scalarSeries(runId_, "train/loss", query);

        std::vector<SeriesPoint> inRange;
        for (const SeriesPoint &point : all) {
            if (from < 0 || (point.step >= from && point.step <= to))
                inRange.push_back(point);
        }
        const auto expected = downsampleMinMax(inRange, 2000); // the full-scan answer
        QVERIFY(points.size() <= 2000);
        QCOMPARE(points.size(), expected.size());
        for (std::size_t i = 0; i < points.size(); ++i) {
            QCOMPARE(points[i].step, expected[i].step);
            QCOMPARE(std::isnan(points[i].value), std::isnan(expected[i].value));
            if (!std::isnan(expected[i].value))
                QCOMPARE(points[i].value, expected[i].value);
            QCOMPARE(points[i].wallSeconds, expected[i].wallSeconds);
        }
        if (from < 0) {
            QVERIFY(planBuckets(0, 299999, 2000).blockAligned);
            auto has = [&](std::int64_t step) {
                return std::any_of(points.begin(), points.end(), [&](const SeriesPoint &p) { return p.step == step; });
            };
            QVERIFY(has(123456) && has(200001) && has(7919 * 30));
        }
    }

    void rollupsFollowRewrittenSamples()
    {
        // A step written again (a resumed run) must update its block's rollup.
        writeSeries("train/loss", 0, 99999, [](std::int64_t s) { return double(s % 100); });
        writeScalars(runId_, {{"train/loss", 50000, 1e9, 0.0}, {"train/loss", 777, -1e9, 0.0}});
        MetricReader reader(*store_);
        SeriesQuery query;
        query.maxPoints = 200;
        const auto points = reader.scalarSeries(runId_, "train/loss", query);
        auto valueAt = [&](std::int64_t step) {
            for (const SeriesPoint &p : points) {
                if (p.step == step)
                    return p.value;
            }
            return 0.0;
        };
        QCOMPARE(valueAt(50000), 1e9);
        QCOMPARE(valueAt(777), -1e9);
    }

    void shortSeriesIsNotDownsampled()
    {
        writeSeries(
            "eval/loss", 100, 100 * 50, [](std::int64_t s) { return 1.0 / double(s); }, 100);
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
        writeSeries(
            "eval/exact_match/copy", 10, 100, [](std::int64_t s) { return s == 50 ? 0.9 : 0.5; }, 10);
        writeScalars(runId_, {{"train/loss", 101, std::nan(""), 10.1}});
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
        std::vector<ScalarSample> samples;
        for (std::int64_t step = 1; step <= 10; ++step)
            samples.push_back({"train/loss", step, -double(step), 0.0});
        writeScalars(second, samples);
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
        std::vector<ScalarSample> samples;
        for (std::int64_t step = first; step <= last; step += stride)
            samples.push_back({name, step, value(step), 0.01 * double(step)});
        writeScalars(runId_, samples);
    }

    // As the recorder writes: batches of 4096 samples, one transaction each.
    void writeScalars(std::int64_t runId, const std::vector<ScalarSample> &samples)
    {
        SampleWriter writer(store_->database());
        for (std::size_t begin = 0; begin < samples.size(); begin += 4096) {
            SampleBatch batch;
            batch.scalars.assign(samples.begin() + begin, samples.begin() + std::min(samples.size(), begin + 4096));
            Transaction transaction(store_->database());
            writer.write(runId, batch);
            transaction.commit();
        }
    }

    QTemporaryDir dir_;
    std::unique_ptr<RunStore> store_;
    std::int64_t runId_ = 0;
};

QTEST_APPLESS_MAIN(MetricReaderTest)
#include "metric_reader_test.moc"
