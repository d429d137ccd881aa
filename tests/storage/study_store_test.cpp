// Studies in the run store (storage/study_store.h), what they found
// (storage/study_summary.h) and the files they are reported in
// (storage/study_report.h): the same spec reopens the same study, finished
// (cell, seed) pairs are known so a resumed study skips them, the summary
// pairs cells with the baseline by seed, and the reports are written whole.
#include "storage/run_recorder.h"
#include "storage/run_store.h"
#include "storage/study_report.h"
#include "storage/study_store.h"
#include "storage/study_summary.h"

#include "store_test_support.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <sstream>

using namespace lwb::storage;
using namespace lwb::storage::test;

namespace {

std::string readFile(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

class StudyStoreTest : public QObject
{
    Q_OBJECT

private slots:
    void init() { path_ = directory_.filePath("runs.db").toStdString(); }
    void cleanup() { QFile::remove(QString::fromStdString(path_)); }

    void sameSpecReopensTheStudy()
    {
        RunStore store(path_);
        const auto first = openStudy(store, "s", R"({"name":"s","seeds":[1,2]})", "eval/loss");
        const auto again = openStudy(store, "s", R"({"name":"s","seeds":[1,2]})", "eval/loss");
        const auto other = openStudy(store, "s", R"({"name":"s","seeds":[1,2,3]})", "eval/loss");
        QCOMPARE(again.id, first.id);
        QVERIFY(other.id != first.id);
        QCOMPARE(listStudies(store).size(), std::size_t(2));
        QCOMPARE(listStudies(store).front().id, other.id); // newest first
        QVERIFY(!findStudy(store, 999));
    }

    void summaryPairsCellsWithTheBaselineBySeed()
    {
        const std::vector<std::string> cells
            = {R"([["adapter.r",4]])", R"([["adapter.r",8]])", R"([["adapter.r",16]])"};
        // Final eval losses per (cell, seed); cell 1 (r=8) is the baseline.
        const std::map<std::pair<int, int>, double> losses
            = {{{0, 1}, 0.90}, {{0, 2}, 0.80}, {{0, 3}, 0.85}, {{1, 1}, 0.70},
               {{1, 2}, 0.66}, {{1, 3}, 0.71}, {{2, 1}, 0.65}};
        std::int64_t studyId = 0;
        {
            RunStore store(path_);
            studyId = openStudy(store, "rank", R"({"name":"rank"})", "eval/loss").id;
        }
        for (const auto &[cellSeed, loss] : losses) {
            std::int64_t runId = 0;
            {
                RunStore store(path_);
                runId = store.createRun(namedRun("rank-c" + std::to_string(cellSeed.first)));
                linkStudyRun(store, studyId, runId, cellSeed.first, cells[cellSeed.first], cellSeed.second);
            }
            RecorderOptions options;
            options.runId = runId;
            RunRecorder recorder(path_, options);
            recorder.onRunStarted(makeRunInfo("rank"));
            recorder.onEval(makeEval(50, loss + 0.5)); // an earlier evaluation does not count
            recorder.onEval(makeEval(100, loss));
            recorder.onRunFinished(lwb::RunOutcome::Finished, "");
        }
        RunStore store(path_);
        // A failed run of cell 2, seed 2, and one still queued on seed 3.
        const auto failed = store.createRun(namedRun("rank-c2-failed"));
        linkStudyRun(store, studyId, failed, 2, cells[2], 2);
        store.finishRun(failed, RunStatus::Failed, "out of memory");
        const auto queued = store.createRun(namedRun("rank-c2-queued"));
        linkStudyRun(store, studyId, queued, 2, cells[2], 3);

        const auto links = studyRuns(store, studyId);
        QCOMPARE(links.size(), std::size_t(9));
        QVERIFY(hasFinishedRun(links, 0, 2));
        QVERIFY(!hasFinishedRun(links, 2, 2)); // failed: a resumed study trains it again
        QVERIFY(!hasFinishedRun(links, 2, 3));

        const auto summary = summarizeStudy(store, *findStudy(store, studyId), cells, 1);
        QCOMPARE(summary.cells.size(), std::size_t(3));
        QVERIFY(!summary.higherIsBetter);
        const auto &r4 = summary.cells[0];
        QCOMPARE(r4.seeds, (std::vector<std::uint64_t>{1, 2, 3}));
        QCOMPARE(r4.values, (std::vector<double>{0.90, 0.80, 0.85}));
        QVERIFY(std::abs(r4.interval.mean - 0.85) < 1e-12);
        // Paired by seed: differences 0.20, 0.14, 0.14 (a t-test on them).
        QVERIFY(r4.vsBaseline);
        QVERIFY(std::abs(r4.vsBaseline->meanDifference - 0.16) < 1e-12);
        QCOMPARE(r4.vsBaseline->pairs, std::size_t(3));
        QVERIFY(r4.vsBaseline->pValue < 0.05);
        QVERIFY(!summary.cells[1].vsBaseline); // the baseline itself
        const auto &r16 = summary.cells[2];
        QCOMPARE(r16.values.size(), std::size_t(1));
        QCOMPARE(r16.failedRuns, 1);
        QCOMPARE(r16.pendingRuns, 1);
        QVERIFY(!r16.vsBaseline); // one common seed: no test

        const auto csvPath = directory_.filePath("study.csv").toStdString();
        const auto htmlPath = directory_.filePath("study.html").toStdString();
        writeStudyCsv(summary, csvPath);
        writeStudyHtml(summary, htmlPath);
        const auto csv = readFile(csvPath);
        QVERIFY(csv.find("0,adapter.r=4,2,") != std::string::npos);
        QVERIFY(csv.find("0,adapter.r=4,mean,3,0.85,") != std::string::npos);
        const auto page = readFile(htmlPath);
        QVERIFY(page.find("<svg") != std::string::npos);
        QVERIFY(page.find("adapter.r=8 (baseline)") != std::string::npos);
        QVERIFY(page.find("against adapter.r") != std::string::npos);
        QVERIFY(page.find("http://") == page.find("http://www.w3.org")); // no external resources
        QVERIFY(!QFile::exists(QString::fromStdString(htmlPath + ".part")));

        deleteStudy(store, studyId, /*withRuns=*/false);
        QVERIFY(!findStudy(store, studyId));
        QVERIFY(store.findRun(queued)); // the runs stay as ordinary runs
    }

    void labelsOfCells()
    {
        QCOMPARE(studyCellLabel(R"([["adapter.r",4],["adapter.variant","sira"]])"),
                 std::string(R"(adapter.r=4 adapter.variant="sira")"));
        QCOMPARE(studyCellLabel("[]"), std::string("base"));
    }

private:
    QTemporaryDir directory_;
    std::string path_;
};

QTEST_APPLESS_MAIN(StudyStoreTest)
#include "study_store_test.moc"
