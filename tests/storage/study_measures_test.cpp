// What a study reports besides its metric (storage/study_measures.h,
// storage/study_summary.h): a series' value at a step, the steps to a target,
// the merge gap, and each cell's trainable parameters, summarised over seeds
// with the t-interval and compared with the baseline by seed. Expected values
// are worked out by hand below from the recorded numbers; the t quantile and
// the t CDF come from closed forms / published tables, not from our code:
//   t_{0.975, 2} = 4.302652729911275 (any t table);
//   two-sided p of t with 1 degree of freedom (Cauchy): 1 - 2 atan(|t|) / pi.
#include "storage/run_recorder.h"
#include "storage/run_store.h"
#include "storage/study_measures.h"
#include "storage/study_report.h"
#include "storage/study_store.h"
#include "storage/study_summary.h"

#include "engine/core/error.h"

#include "store_test_support.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace lwb::storage;
using namespace lwb::storage::test;

namespace {

constexpr double kT975Df2 = 4.302652729911275;

std::vector<SeriesPoint> points(const std::vector<std::pair<std::int64_t, double>> &values)
{
    std::vector<SeriesPoint> result;
    for (const auto &[step, value] : values)
        result.push_back({step, value, 0.0});
    return result;
}

bool near(double a, double b, double tolerance = 1e-9)
{
    return std::abs(a - b) <= tolerance;
}

std::string readFile(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The reason of the lwb::Error that parsing `report` throws, or "" when none.
std::string parseError(const std::string &report, std::size_t cells = 2)
{
    try {
        parseStudyReportOptions(nlohmann::json::parse(report), "s.json", cells);
    } catch (const lwb::Error &error) {
        return error.what();
    }
    return "";
}

} // namespace

class StudyMeasuresTest : public QObject
{
    Q_OBJECT

private slots:
    void init() { path_ = directory_.filePath("runs.db").toStdString(); }
    void cleanup() { QFile::remove(QString::fromStdString(path_)); }

    void valuesOfOneRun()
    {
        const auto loss = points({{25, 2.0}, {50, NAN}, {75, 1.2}, {100, 0.9}});
        StudyMeasure atStep{StudyMeasure::Kind::AtStep, "eval/loss", 75};
        QCOMPARE(*measureValue(atStep, loss), 1.2);
        atStep.step = 50; // recorded as NaN: no value
        QVERIFY(!measureValue(atStep, loss));
        atStep.step = 60; // not an evaluation step
        QVERIFY(!measureValue(atStep, loss));

        StudyMeasure stepsTo{StudyMeasure::Kind::StepsTo, "eval/loss", 0, 1.2, true};
        QCOMPARE(*measureValue(stepsTo, loss), 75.0); // equal to the target counts as reached
        stepsTo.target = 0.5;
        QVERIFY(!measureValue(stepsTo, loss)); // never reached
        const auto accuracy = points({{10, 0.2}, {20, 0.6}, {30, 0.9}});
        const StudyMeasure stepsToAccuracy{StudyMeasure::Kind::StepsTo, "eval/exact_match/upper", 0, 0.5, false};
        QCOMPARE(*measureValue(stepsToAccuracy, accuracy), 20.0);

        const StudyMeasure gap{StudyMeasure::Kind::MergeGap, "eval/loss"};
        QVERIFY(near(*measureValue(gap, loss, points({{100, 0.95}})), 0.05)); // 0.95 - 0.9
        QVERIFY(!measureValue(gap, loss));                                    // no merged evaluation
        QVERIFY(!measureValue(gap, loss, points({{90, 0.95}})));              // no evaluation before it at 90

        const StudyMeasure deployed{StudyMeasure::Kind::AfterMerge, "eval/loss"};
        QCOMPARE(*measureValue(deployed, loss, points({{100, 0.95}})), 0.95);
        QCOMPARE(*measureValue(deployed, loss), 0.9); // nothing merged: the model as trained

        const StudyMeasure last{StudyMeasure::Kind::Final, "eval/loss"};
        QCOMPARE(*measureValue(last, loss), 0.9);
        QCOMPARE(*measureValue(last, points({{1, 3.0}, {2, NAN}})), 3.0);
    }

    void namesAndDirections()
    {
        QCOMPARE(StudyMeasure({StudyMeasure::Kind::AtStep, "eval/loss", 100}).name(),
                 std::string("eval/loss @ step 100"));
        QCOMPARE(StudyMeasure({StudyMeasure::Kind::StepsTo, "eval/loss", 0, 1.0, true}).name(),
                 std::string("steps to eval/loss <= 1"));
        QVERIFY(!StudyMeasure({StudyMeasure::Kind::StepsTo, "eval/exact_match/a", 0, 0.5, false}).higherIsBetter());
        QVERIFY(StudyMeasure({StudyMeasure::Kind::MergeGap, "eval/exact_match/a"}).higherIsBetter());
        QCOMPARE(mergedSeriesName("eval/loss"), std::string("eval/merged_loss"));
        QCOMPARE(mergedSeriesName("eval/exact_match/upper"), std::string("eval/merged_exact_match/upper"));
        QCOMPARE(mergedSeriesName("train/loss"), std::string());
    }

    void reportOptionsAreCheckedWithTheirPath()
    {
        const auto options = parseStudyReportOptions(nlohmann::json::parse(R"({"cell_labels": ["LoRA", "SiRA"],
                "measures": [{"series": "eval/loss", "at_step": 100},
                             {"series": "eval/loss", "steps_to": {"at_most": 1.0}},
                             {"series": "eval/loss", "merge_gap": true},
                             {"series": "eval/exact_match/upper"}]})"),
                                                     "s.json", 2);
        QCOMPARE(options.cellLabels, (std::vector<std::string>{"LoRA", "SiRA"}));
        QCOMPARE(options.measures.size(), std::size_t(4));
        QVERIFY(options.measures[1].kind == StudyMeasure::Kind::StepsTo && options.measures[1].atMost);
        QVERIFY(options.measures[3].kind == StudyMeasure::Kind::Final);
        QVERIFY(parseStudyReportOptions(nullptr, "s.json", 2).measures.empty());

        QVERIFY(parseError(R"({"cell_labels": ["one"]})").find("s.json: report.cell_labels: must be an array of 2")
                == 0);
        QVERIFY(parseError(R"({"measures": [{"series": "eval/loss", "at_step": -1}]})")
                    .find("report.measures[0].at_step: must be a whole number")
                != std::string::npos);
        QVERIFY(parseError(R"({"measures": [{"series": "eval/loss", "steps_to": 1.0}]})")
                    .find("report.measures[0].steps_to: must be")
                != std::string::npos);
        QVERIFY(parseError(R"({"measures": [{"at_step": 5}]})").find("report.measures[0].series: missing")
                != std::string::npos);
        QVERIFY(parseError(R"({"measures": [{"series": "train/loss", "merge_gap": true}]})")
                    .find("has no merged counterpart")
                != std::string::npos);
        QVERIFY(parseError(R"({"measures": [{"series": "eval/loss", "at_step": 5, "merge_gap": true}]})")
                    .find("more than one")
                != std::string::npos);
        QVERIFY(parseError(R"({"mesures": []})").find("report.mesures: unknown key") != std::string::npos);
    }

    void summaryReportsMeasuresAndParameters()
    {
        // Two cells x three seeds, evaluated at steps 25, 50, 75, 100; cell 1
        // also merged at the end (as ResLoRA). Cell 0 is the baseline.
        const std::vector<std::string> cells = {R"([["adapter.variant","lora"]])", R"([["adapter.variant","x"]])"};
        struct Run
        {
            int cell;
            int seed;
            std::vector<double> losses; // at 25, 50, 75, 100
            double merged;              // NaN: no merged evaluation
        };
        const std::vector<Run> runs = {
            {0, 1, {2.0, 1.5, 1.1, 1.0}, NAN},  {0, 2, {2.0, 1.3, 1.1, 0.9}, NAN}, {0, 3, {2.0, 1.6, 1.3, 1.15}, NAN},
            {1, 1, {1.8, 1.1, 1.0, 0.9}, 0.95}, {1, 2, {1.2, 1.1, 1.0, 0.8}, 0.8}, {1, 3, {1.9, 1.5, 1.3, 1.25}, 1.45},
        };
        std::int64_t studyId = 0;
        {
            RunStore store(path_);
            studyId = openStudy(store, "m", R"({"name":"m"})", "eval/loss").id;
        }
        for (const auto &run : runs) {
            std::int64_t runId = 0;
            {
                RunStore store(path_);
                runId = store.createRun(namedRun("m-c" + std::to_string(run.cell)));
                linkStudyRun(store, studyId, runId, run.cell, cells[run.cell], run.seed);
            }
            RecorderOptions options;
            options.runId = runId;
            RunRecorder recorder(path_, options);
            auto info = makeRunInfo("m");
            info.trainableParameters = run.cell == 0 ? 162816 : 731136;
            recorder.onRunStarted(info);
            for (std::size_t i = 0; i < run.losses.size(); ++i) {
                auto eval = makeEval(25 * static_cast<std::int64_t>(i + 1), run.losses[i]);
                if (i + 1 == run.losses.size() && !std::isnan(run.merged)) {
                    eval.hasMergedEval = true;
                    eval.mergedLoss = run.merged;
                    eval.mergedPerplexity = std::exp(run.merged);
                }
                recorder.onEval(eval);
            }
            recorder.onRunFinished(lwb::RunOutcome::Finished, "");
        }
        RunStore store(path_);
        StudyReportOptions report;
        report.cellLabels = {"LoRA", "X"};
        report.measures = {{StudyMeasure::Kind::AtStep, "eval/loss", 50},
                           {StudyMeasure::Kind::StepsTo, "eval/loss", 0, 1.2, true},
                           {StudyMeasure::Kind::MergeGap, "eval/loss"},
                           {StudyMeasure::Kind::AfterMerge, "eval/loss"}};
        const auto summary = summarizeStudy(store, *findStudy(store, studyId), cells, 0, 0.95, report);
        const auto &lora = summary.cells[0];
        const auto &x = summary.cells[1];
        QCOMPARE(lora.trainableParametersMin, std::int64_t(162816));
        QCOMPARE(lora.trainableParametersMax, std::int64_t(162816));
        QCOMPARE(x.trainableParametersMin, std::int64_t(731136));

        // eval/loss @ step 50: LoRA 1.5, 1.3, 1.6 (mean 1.466667); X - LoRA by
        // seed: -0.4, -0.2, -0.1, mean -0.233333.
        QCOMPARE(lora.measures[0].values, (std::vector<double>{1.5, 1.3, 1.6}));
        QVERIFY(near(lora.measures[0].interval.mean, 4.4 / 3));
        QVERIFY(x.measures[0].vsBaseline);
        QCOMPARE(x.measures[0].vsBaseline->pairs, std::size_t(3));
        QVERIFY(near(x.measures[0].vsBaseline->meanDifference, -0.7 / 3));

        // Steps to eval/loss <= 1.2: LoRA 75, 75, 100 (mean 83.33, sd
        // 14.4338 = 25 / sqrt(3)); X 50, 25, never (seed 3 is left out).
        const auto &loraSteps = lora.measures[1];
        QCOMPARE(loraSteps.values, (std::vector<double>{75, 75, 100}));
        QVERIFY(near(loraSteps.interval.mean, 250.0 / 3));
        QVERIFY(near(loraSteps.interval.standardDeviation, 25.0 / std::sqrt(3.0)));
        QVERIFY(near(loraSteps.interval.halfWidth, kT975Df2 * (25.0 / std::sqrt(3.0)) / std::sqrt(3.0), 1e-7));
        const auto &xSteps = x.measures[1];
        QCOMPARE(xSteps.seeds, (std::vector<std::uint64_t>{1, 2}));
        QCOMPARE(xSteps.missing, 1);
        // Paired over seeds 1 and 2: differences -25, -50; mean -37.5, sd
        // 17.678, se 12.5, t = -3 on 1 degree of freedom.
        QVERIFY(xSteps.vsBaseline);
        QCOMPARE(xSteps.vsBaseline->pairs, std::size_t(2));
        QVERIFY(near(xSteps.vsBaseline->meanDifference, -37.5));
        QVERIFY(near(xSteps.vsBaseline->t, -3.0, 1e-9));
        QVERIFY(near(xSteps.vsBaseline->pValue, 1.0 - 2.0 * std::atan(3.0) / M_PI, 1e-7));

        // Merge gap: LoRA has no merged evaluation; X: 0.95 - 0.9, 0.8 - 0.8,
        // 1.45 - 1.25 = 0.05, 0, 0.2: mean 0.083333, sd 0.1040833.
        QCOMPARE(lora.measures[2].interval.count, std::size_t(0));
        QCOMPARE(lora.measures[2].missing, 3);
        const auto &gap = x.measures[2].interval;
        QCOMPARE(gap.count, std::size_t(3));
        QVERIFY(near(gap.mean, 0.25 / 3));
        QVERIFY(near(gap.standardDeviation, std::sqrt(0.0325 / 3.0), 1e-9)); // sum of squares 0.065 / 3 / 2
        QVERIFY(near(gap.low, 0.25 / 3 - kT975Df2 * std::sqrt(0.0325 / 3.0) / std::sqrt(3.0), 1e-7));
        QVERIFY(!x.measures[2].vsBaseline); // no common seed with a value

        // After merge: LoRA as trained (1.0, 0.9, 1.15), X merged (0.95, 0.8,
        // 1.45); differences -0.05, -0.1, 0.3, mean 0.05.
        QCOMPARE(lora.measures[3].values, (std::vector<double>{1.0, 0.9, 1.15}));
        QCOMPARE(x.measures[3].values, (std::vector<double>{0.95, 0.8, 1.45}));
        QVERIFY(x.measures[3].vsBaseline);
        QVERIFY(near(x.measures[3].vsBaseline->meanDifference, 0.05));

        const auto csvPath = directory_.filePath("study.csv").toStdString();
        const auto htmlPath = directory_.filePath("study.html").toStdString();
        writeStudyCsv(summary, csvPath);
        writeStudyHtml(summary, htmlPath);
        const auto csv = readFile(csvPath);
        QVERIFY(csv.find(",162816,LoRA\n") != std::string::npos);
        QVERIFY(csv.find("1,X,steps to eval/loss <= 1.2,2,25\n") != std::string::npos);
        QVERIFY(csv.find("1,X,steps to eval/loss <= 1.2,2,1,37.5,") != std::string::npos);
        const auto page = readFile(htmlPath);
        QVERIFY(page.find("<h3>merge gap eval/loss (after - before)</h3>") != std::string::npos);
        QVERIFY(page.find("<td>731136</td>") != std::string::npos);
        QVERIFY(page.find("LoRA (baseline)") != std::string::npos);
    }

private:
    QTemporaryDir directory_;
    std::string path_;
};

QTEST_GUILESS_MAIN(StudyMeasuresTest)
#include "study_measures_test.moc"
