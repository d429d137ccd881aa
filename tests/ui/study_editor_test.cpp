// The study editor, the study runner and the parallel coordinates, driven
// through the real widgets: the editor validates as one types (an invalid
// cell named with its JSON path, Run off), saves a study file `lorawb study`
// reads, and "Run study" in the main window trains a 2 x 2-seed study
// through the job queue into the store, each run linked to its cell and
// tagged; run again, nothing is enqueued (resumable). Waits for conditions
// (QTRY_*), never for a time. Expected layouts are worked by hand from the
// axis rules in parallel_coordinates_plot.h.
#include "storage/run_store.h"
#include "storage/study_store.h"
#include "ui/job_controller.h"
#include "ui/main_window.h"
#include "ui/parallel_coordinates_plot.h"
#include "ui/run_form.h"
#include "ui/study_editor.h"
#include "ui/study_runner.h"
#include "ui/study_view.h"
#include "user_data_isolation.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <memory>

using nlohmann::json;

namespace {

// The CLI study test's base (tests/cli/test_study.sh): gpt2-tiny, 6 steps.
json tinyConfig()
{
    return json::parse(R"({ "name": "tiny", "seed": 1, "threads": 1,
      "model": { "preset": "gpt2-tiny" },
      "data": { "source": "builtin:tasks", "tasks": ["first", "length"], "seq_len": 24 },
      "adapter": { "variant": "lora", "r": 2, "alpha": 4, "targets": ["c_attn"] },
      "training": { "steps": 6, "batch_size": 4, "lr": 0.003, "warmup_steps": 1 },
      "eval": { "every": 3, "batch_size": 16 } })");
}

void setValues(lwb::ui::StudyEditor &editor, int row, const QString &path, const QString &values)
{
    editor.pathTable()->item(row, 0)->setText(path);
    editor.pathTable()->item(row, 1)->setText(values);
}

lwb::storage::StudyCellSummary cell(std::size_t index, const json &settings, std::optional<double> mean)
{
    lwb::storage::StudyCellSummary summary;
    summary.cellIndex = index;
    summary.cell = settings.dump();
    if (mean) {
        summary.interval.count = 2;
        summary.interval.mean = *mean;
    }
    return summary;
}

} // namespace

class StudyEditorTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        lwb::ui::test::keepUserDataIn(dir_);
    }

    void editorValidatesAsOneTypes()
    {
        lwb::ui::StudyEditor editor(tinyConfig());
        setValues(editor, 0, QStringLiteral("adapter.r"), QStringLiteral("2, 0"));
        QVERIFY(!editor.spec());
        QVERIFY(!editor.runButton()->isEnabled());
        // The engine's message, naming the JSON path and the cell (as `lorawb study` does).
        QVERIFY2(editor.problem().contains(QStringLiteral("adapter.r: cell 1 (adapter.r=0)")),
                 qPrintable(editor.problem()));
        QVERIFY(editor.problemLabel()->text().contains(QStringLiteral("adapter.r")));

        editor.pathTable()->item(0, 1)->setText(QStringLiteral("2, 4"));
        editor.seedsEdit()->setText(QStringLiteral("11, 12"));
        QVERIFY2(editor.spec(), qPrintable(editor.problem()));
        QCOMPARE(editor.spec()->cells.size(), std::size_t(2));
        QCOMPARE(editor.spec()->runs().size(), std::size_t(4));
        QVERIFY(editor.runButton()->isEnabled());
        QCOMPARE(editor.baselineChoice()->count(), 3); // (none), c0, c1
        editor.baselineChoice()->setCurrentIndex(1);
        Q_EMIT editor.baselineChoice()->activated(1);
        QCOMPARE(editor.spec()->baselineCell, 0);

        // An unknown path is refused with its name.
        editor.addPathRow(QStringLiteral("training.no_such_key"), QStringLiteral("1"));
        QVERIFY(!editor.spec());
        QVERIFY2(editor.problem().contains(QStringLiteral("training.no_such_key")), qPrintable(editor.problem()));
        editor.pathTable()->removeRow(1);
        Q_EMIT editor.pathTable()->itemChanged(editor.pathTable()->item(0, 0));
        QVERIFY(editor.spec());

        // Random search: a distribution that is not one is named by its path.
        editor.searchChoice()->setCurrentIndex(1);
        editor.pathTable()->item(0, 0)->setText(QStringLiteral("training.lr"));
        editor.pathTable()->item(0, 1)->setText(QStringLiteral("{\"normal\": [0, 1]}"));
        QVERIFY(!editor.spec());
        QVERIFY2(editor.problem().contains(QStringLiteral("training.lr")), qPrintable(editor.problem()));
        editor.pathTable()->item(0, 1)->setText(QStringLiteral("{\"log_uniform\": [0.0001, 0.01]}"));
        editor.trialsBox()->setValue(3);
        QVERIFY2(editor.spec(), qPrintable(editor.problem()));
        QCOMPARE(editor.spec()->cells.size(), std::size_t(3));
        for (const auto &drawn : editor.spec()->cells) {
            const double lr = drawn.settings.at(0).second.get<double>();
            QVERIFY(lr >= 1e-4 && lr <= 1e-2);
        }

        // Saved, it is a study file the engine reads back to the same cells.
        const QString path = dir_.filePath(QStringLiteral("random.json"));
        QCOMPARE(editor.saveTo(path), QString());
        const auto loaded = lwb::loadStudySpec(path.toStdString());
        QCOMPARE(loaded.cells.size(), std::size_t(3));
        for (std::size_t i = 0; i < 3; ++i)
            QCOMPARE(loaded.cells[i].settingsKey(), editor.spec()->cells[i].settingsKey());
    }

    void parallelCoordinatesLayout()
    {
        // lr spans a factor of 100 (> 20): log axis, 1e-4 -> 0, 1e-3 -> 0.5, 1e-2 -> 1.
        // variant is categorical in study order: lora -> 0, sira -> 1. The metric
        // means 1.0, 2.0, 1.5 -> 0, 1, 0.5; the fourth cell has no finished seed.
        lwb::storage::StudySummary summary;
        summary.metric = "eval/loss";
        summary.cells.push_back(
            cell(0, json::array({json::array({"training.lr", 1e-4}), json::array({"adapter.variant", "lora"})}), 1.0));
        summary.cells.push_back(
            cell(1, json::array({json::array({"training.lr", 1e-3}), json::array({"adapter.variant", "sira"})}), 2.0));
        summary.cells.push_back(
            cell(2, json::array({json::array({"training.lr", 1e-2}), json::array({"adapter.variant", "lora"})}), 1.5));
        summary.cells.push_back(
            cell(3, json::array({json::array({"training.lr", 1e-2}), json::array({"adapter.variant", "sira"})}),
                 std::nullopt));
        const auto layout = lwb::ui::parallelCoordinatesOf(summary);
        QCOMPARE(layout.axes.size(), std::size_t(3));
        QCOMPARE(layout.axes[0].name, QStringLiteral("training.lr"));
        QVERIFY(layout.axes[0].logarithmic);
        QCOMPARE(layout.axes[1].name, QStringLiteral("adapter.variant"));
        QCOMPARE(layout.axes[1].ticks.size(), 2);
        QCOMPARE(layout.axes[1].ticks[1].second, QStringLiteral("sira"));
        const std::vector<std::vector<double>> expected = {{0, 0, 0}, {0.5, 1, 1}, {1, 0, 0.5}};
        for (std::size_t line = 0; line < 3; ++line)
            for (std::size_t axis = 0; axis < 3; ++axis)
                QVERIFY(std::abs(layout.lines[line].positions[int(axis)] - expected[line][axis]) < 1e-12);
        QVERIFY(!layout.lines[3].metric);
        QVERIFY(std::isnan(layout.lines[3].positions[2]));
        QCOMPARE(layout.metricLow, 1.0);
        QCOMPARE(layout.metricHigh, 2.0);

        lwb::ui::ParallelCoordinatesPlot plot;
        plot.setSummary(summary);
        QCOMPARE(plot.graphCount(), 4); // a line per cell
        QCOMPARE(plot.graph(3)->pen().style(), Qt::DashLine);
    }

    void runStudyThroughTheJobQueue()
    {
        const QString db = dir_.filePath(QStringLiteral("runs.db"));
        lwb::ui::MainWindow window(db);
        window.show();
        window.runForm()->setDocument(tinyConfig());
        QVERIFY(window.runForm()->isValid());

        const auto runOnce = [&](int expectEnqueued) {
            QTest::mouseClick(window.studyView()->newStudyButton(), Qt::LeftButton);
            auto *editor = window.findChild<lwb::ui::StudyEditor *>();
            QVERIFY(editor != nullptr);
            QVERIFY(editor->formBaseChoice()->isChecked()); // the form's config is the base
            editor->nameEdit()->setText(QStringLiteral("rank-study"));
            setValues(*editor, 0, QStringLiteral("adapter.r"), QStringLiteral("2, 4"));
            editor->seedsEdit()->setText(QStringLiteral("11, 12"));
            editor->baselineChoice()->setCurrentIndex(1);
            Q_EMIT editor->baselineChoice()->activated(1);
            QVERIFY2(editor->spec(), qPrintable(editor->problem()));
            QSignalSpy queued(window.studyRunner(), &lwb::ui::StudyRunner::studyQueued);
            QTest::mouseClick(editor->runButton(), Qt::LeftButton);
            QVERIFY(queued.wait(30000));
            QCOMPARE(queued.at(0).at(1).toInt(), expectEnqueued);
            QTRY_VERIFY_WITH_TIMEOUT(!window.jobController()->isBusy() && window.studyRunner()->activeJobs() == 0
                                         && !window.studyView()->isLoading(),
                                     240000);
        };
        runOnce(4);
        if (QTest::currentTestFailed())
            return;

        lwb::storage::RunStore store(db.toStdString());
        const auto studies = lwb::storage::listStudies(store);
        QCOMPARE(studies.size(), std::size_t(1));
        const auto links = lwb::storage::studyRuns(store, studies[0].id);
        QCOMPARE(links.size(), std::size_t(4));
        for (const auto &link : links) {
            QCOMPARE(link.status, lwb::storage::RunStatus::Finished);
            const auto tags = store.run(link.runId).tags;
            QVERIFY(std::find(tags.begin(), tags.end(), "study:rank-study") != tags.end());
        }
        // The Studies tab shows it: two cells of two seeds, the paired test against c0.
        auto *view = window.studyView();
        QTRY_VERIFY(!view->isLoading());
        QCOMPARE(view->summary().cells.size(), std::size_t(2));
        QCOMPARE(view->summary().cells[0].interval.count, std::size_t(2));
        QCOMPARE(view->summary().baselineCell, 0);
        QVERIFY(view->summary().cells[1].vsBaseline.has_value());
        QCOMPARE(view->parallelCoordinates()->graphCount(), 2);

        // Run again: every (cell, seed) has its finished run, nothing is enqueued.
        runOnce(0);
        QCOMPARE(lwb::storage::studyRuns(store, studies[0].id).size(), std::size_t(4));
    }

private:
    QTemporaryDir dir_;
};

QTEST_MAIN(StudyEditorTest)
#include "study_editor_test.moc"
