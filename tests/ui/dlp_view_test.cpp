// A DLP-LoRA study driven through the window as a person runs one: the run
// form's DLP-LoRA panel and task-LoRA library (remove rows, a duplicate task
// shown under the library field), Start, the DLP-LoRA tab filling live
// (stages, selection counts) and at the end (exact-match table, plugin
// summary, confusion and selection matrices), the study and its trainings in
// the run store (children of the study's run), "Ask in the Playground"
// opening the study in the Playground tab (where it answers:
// tests/ui/playground_dlp_test.cpp); then the same study reopened from the
// Runs dock shows the same results, opens in the playground again, and
// exports as a DLP-LoRA bundle.
#include "engine/adapters/variant_traits.h"
#include "form_input.h"
#include "run_outcome_text.h"
#include "storage/run_store.h"
#include "tiny_study_fixture.h"
#include "ui/dlp_library_editor.h"
#include "ui/dlp_view.h"
#include "ui/export_dialog.h"
#include "ui/field_row.h"
#include "ui/job_controller.h"
#include "ui/main_window.h"
#include "ui/playground_side.h"
#include "ui/playground_view.h"
#include "ui/run_browser.h"
#include "ui/run_form.h"
#include "user_data_isolation.h"

#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <qcustomplot.h>

using lwb::ui::DlpView;
using lwb::ui::JobController;
using lwb::ui::MainWindow;
using lwb::ui::test::kTrainingTimeoutMs;

namespace {

QStringList column(QTableWidget *table, int column)
{
    QStringList cells;
    for (int row = 0; row < table->rowCount(); ++row)
        cells << (table->item(row, column) ? table->item(row, column)->text() : QString());
    return cells;
}

} // namespace

class DlpViewTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void studyRunsFromTheFormAndAnswersPrompts();

private:
    QTemporaryDir dir_;
};

void DlpViewTest::initTestCase()
{
    QVERIFY(dir_.isValid());
    lwb::ui::test::keepUserDataIn(dir_);
}

void DlpViewTest::studyRunsFromTheFormAndAnswersPrompts()
{
    const QString db = dir_.filePath(QStringLiteral("runs.db"));
    const QString outputDir = dir_.filePath(QStringLiteral("study"));
    MainWindow window(db);
    lwb::ui::test::showWindow(window);
    auto *form = window.runForm();
    // Four library rows (two get removed below); what File > Open does with a config file.
    form->setDocument(lwb::ui::test::tinyDlpStudy(outputDir, {"first", "length", "upper", "reverse"}, 0.6));

    // The library: every data task, trained; remove two rows.
    auto *library = form->dlpLibrary();
    QVERIFY(library->isVisible());
    QCOMPARE(library->rowCount(), 4);
    auto *table = library->findChild<QTableWidget *>(QStringLiteral("dlpLibraryTable"));
    auto *remove = library->findChild<QPushButton *>(QStringLiteral("dlpLibraryRemove"));
    table->selectRow(3);
    QTRY_VERIFY(remove->height() > 0); // the panel, shown for "dlp", has been laid out
    QTest::mouseClick(remove, Qt::LeftButton);
    table->selectRow(2);
    QTest::mouseClick(remove, Qt::LeftButton);
    QCOMPARE(library->rowCount(), 2);
    QCOMPARE(form->document()["adapter"]["dlp"]["library"],
             nlohmann::json::parse(R"([{"task":"first","source":"train"},{"task":"length","source":"train"}])"));

    // One LoRA per task: a duplicate is named under the library field.
    library->taskBox(1)->setCurrentText(QStringLiteral("first"));
    QVERIFY(!form->isValid());
    QVERIFY2(form->field(QStringLiteral("adapter.dlp.library"))->error().contains(QStringLiteral("already")),
             qPrintable(form->problems().join(QLatin1Char('\n'))));
    QVERIFY(!window.startButton()->isEnabled());
    library->taskBox(1)->setCurrentText(QStringLiteral("length"));
    QVERIFY2(form->isValid(), qPrintable(form->problems().join(QLatin1Char('\n'))));

    // Start: the DLP-LoRA tab comes forward and fills as the study runs.
    auto *view = window.dlpView();
    QSignalSpy finished(window.jobController(), &JobController::jobFinished);
    QSignalSpy progress(window.jobController(), &JobController::dlpProgress);
    QTest::mouseClick(window.startButton(), Qt::LeftButton);
    QCOMPARE(window.centralTabs()->currentWidget(), static_cast<QWidget *>(view));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTrainingTimeoutMs);
    QCOMPARE(lwb::ui::test::outcomeAt(finished, 0), lwb::ui::test::outcomeName(lwb::RunOutcome::Finished));
    QVERIFY(progress.count() >= 5);
    QCOMPARE(column(view->stageTable(), 0),
             (QStringList{QStringLiteral("Task LoRA: first"), QStringLiteral("Task LoRA: length"),
                          QStringLiteral("Multi-task LoRA (rank 8)"), QStringLiteral("Plugin (epochs)"),
                          QStringLiteral("Routed evaluation (fusion)")}));
    QCOMPARE(column(view->stageTable(), 1).at(0), QStringLiteral("3 / 3"));
    QCOMPARE(column(view->stageTable(), 1).at(2), QStringLiteral("6 / 6"));
    QCOMPARE(view->selectionCounts().size(), std::size_t(2)); // live, during the evaluation
    QCOMPARE(column(view->resultTable(), 0), (QStringList{QStringLiteral("first"), QStringLiteral("length")}));
    for (int c = 1; c <= 4; ++c)
        for (const QString &cell : column(view->resultTable(), c))
            QVERIFY2(cell != QStringLiteral("–") && !cell.isEmpty(), qPrintable(QString::number(c)));
    QVERIFY2(view->pluginSummary()->text().contains(QStringLiteral("held-out accuracy on 32 prompts")),
             qPrintable(view->pluginSummary()->text()));
    QVERIFY(view->confusionPlot()->isVisible());
    const QStringList liveTable = column(view->resultTable(), 2);
    const auto liveCounts = view->selectionCounts();

    // The store: the study (variant dlp) and its three trainings as its children.
    lwb::storage::RunStore store(db.toStdString());
    const auto runs = store.listRuns();
    QCOMPARE(runs.size(), std::size_t(4));
    std::int64_t studyId = 0;
    for (const auto &run : runs)
        if (lwb::isStudyVariant(run.variant))
            studyId = run.id;
    QVERIFY(studyId > 0);
    QCOMPARE(store.run(studyId).status, lwb::storage::RunStatus::Finished);
    for (const auto &run : runs)
        if (run.id != studyId)
            QCOMPARE(store.run(run.id).parentRunId, studyId);

    // Asking is the playground's: the button opens the study there.
    const auto askInPlayground = [&] {
        QTRY_VERIFY(view->canAnswer() && view->playgroundButton()->isEnabled());
        QTest::mouseClick(view->playgroundButton(), Qt::LeftButton);
        auto *playground = window.playgroundView();
        QCOMPARE(window.centralTabs()->currentWidget(), static_cast<QWidget *>(playground));
        QTRY_VERIFY_WITH_TIMEOUT(!playground->isLoadingRuns() && playground->side(0)->run() != nullptr,
                                 kTrainingTimeoutMs);
        QCOMPARE(playground->side(0)->run()->id, studyId);
        QVERIFY2(!playground->side(0)->run()->checkpoint.isEmpty(), qPrintable(playground->side(0)->run()->problem));
    };
    askInPlayground();
    if (QTest::currentTestFailed())
        return;

    // Reopened from the Runs dock: the same table, the same answer.
    window.compareRuns({}); // leave the tab, as a person would have
    auto *browser = window.runBrowser();
    browser->refresh();
    browser->selectRuns({studyId});
    QVERIFY(browser->openStudyButton()->isEnabled());
    QTest::mouseClick(browser->openStudyButton(), Qt::LeftButton);
    QCOMPARE(window.centralTabs()->currentWidget(), static_cast<QWidget *>(view));
    QCOMPARE(column(view->resultTable(), 2), liveTable);
    auto *bars = qobject_cast<QCPBars *>(view->selectionPlot()->plottable(0));
    QVERIFY(bars != nullptr);
    QCOMPARE(bars->data()->size(), 2);
    for (int i = 0; i < 2; ++i) // the stored totals are what the live counts ended at
        QCOMPARE(bars->data()->at(i)->value, double(liveCounts[static_cast<std::size_t>(i)]));
    askInPlayground();
    if (QTest::currentTestFailed())
        return;

    // Exported from the Runs dock as a bundle (a study has no merged model).
    browser->selectRuns({studyId});
    QTest::mouseClick(browser->exportButton(), Qt::LeftButton);
    // The dialog opens once the run's record has been read on the store thread.
    QTRY_VERIFY(window.findChild<lwb::ui::ExportDialog *>(QStringLiteral("exportDialog")) != nullptr);
    auto *dialog = window.findChild<lwb::ui::ExportDialog *>(QStringLiteral("exportDialog"));
    QCOMPARE(dialog->formatChoice()->currentText(), QStringLiteral("bundle"));
    QCOMPARE(dialog->formatChoice()->findText(QStringLiteral("merged")), -1);
    lwb::ui::test::typeInto(dialog->destinationEdit(), dir_.filePath(QStringLiteral("exports")));
    lwb::ui::test::typeInto(dialog->nameEdit(), QStringLiteral("toy-bundle"));
    QSignalSpy exported(dialog, &lwb::ui::ExportDialog::exported);
    QTest::mouseClick(dialog->exportButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTrainingTimeoutMs);
    const QDir bundle(exported.at(0).at(0).toString());
    for (const char *file : {"dlp_bundle.json", "plugin.safetensors", "tasks/first/adapter_config.json",
                             "tasks/length/adapter_model.safetensors"})
        QVERIFY2(bundle.exists(QString::fromLatin1(file)), file);
    dialog->close();

    // A run that is not a study says so.
    for (const auto &run : runs)
        if (run.id != studyId) {
            window.showStudy(run.id);
            break;
        }
    QVERIFY(!view->canAnswer());
    QVERIFY(!view->playgroundButton()->isEnabled());
}

QTEST_MAIN(DlpViewTest)
#include "dlp_view_test.moc"
