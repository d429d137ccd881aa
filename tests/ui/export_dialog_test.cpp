// The export dialog driven as a person uses it: a short run trained through
// the window, selected in the run browser, Export… opens the dialog, PEFT is
// written into a chosen folder with its files listed and recorded (size,
// SHA-256) in the run store; exporting again asks before replacing, and a
// cancelled confirmation changes nothing; a hostile folder name stays inside
// the destination.
#include "form_input.h"
#include "run_outcome_text.h"
#include "storage/run_store.h"
#include "storage/sha256.h"
#include "ui/export_dialog.h"
#include "ui/job_controller.h"
#include "ui/main_window.h"
#include "ui/run_browser.h"
#include "ui/run_form.h"
#include "user_data_isolation.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using lwb::ui::ExportDialog;
using lwb::ui::JobController;
using lwb::ui::MainWindow;
using lwb::ui::test::answerNextMessageBox;

namespace {

constexpr int kTimeoutMs = 120000;

} // namespace

class ExportDialogTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void exportsPeftAndRecordsTheFiles();

private:
    QTemporaryDir dir_;
};

void ExportDialogTest::initTestCase()
{
    QVERIFY(dir_.isValid());
    lwb::ui::test::keepUserDataIn(dir_);
}

void ExportDialogTest::exportsPeftAndRecordsTheFiles()
{
    const QString db = dir_.filePath(QStringLiteral("runs.db"));
    MainWindow window(db);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    using lwb::ui::test::editorIn;
    using lwb::ui::test::typeInto;
    typeInto(editorIn<QLineEdit>(window.runForm(), "name"), QStringLiteral("to-export"));
    typeInto(editorIn<QSpinBox>(window.runForm(), "training.steps"), 4);
    typeInto(editorIn<QSpinBox>(window.runForm(), "training.warmup_steps"), 1);
    typeInto(editorIn<QSpinBox>(window.runForm(), "eval.every"), 2);
    typeInto(editorIn<QSpinBox>(window.runForm(), "training.batch_size"), 4);
    typeInto(editorIn<QSpinBox>(window.runForm(), "threads"), 1); // OpenMP threads spin on a busy 2-core machine
    typeInto(editorIn<QLineEdit>(window.runForm(), "training.output_dir"), dir_.filePath(QStringLiteral("out")));
    QSignalSpy finished(window.jobController(), &JobController::jobFinished);
    QTest::mouseClick(window.startButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
    QCOMPARE(lwb::ui::test::outcomeAt(finished, 0), lwb::ui::test::outcomeName(lwb::RunOutcome::Finished));

    auto *browser = window.runBrowser();
    browser->refresh();
    QTRY_VERIFY(!browser->isBusy());
    QCOMPARE(browser->visibleRunCount(), 1);
    browser->table()->selectRow(0);
    QVERIFY(browser->exportButton()->isEnabled());
    QTest::mouseClick(browser->exportButton(), Qt::LeftButton);
    // The run's record comes from the store's thread; then the dialog opens.
    QTRY_VERIFY(window.findChild<ExportDialog *>(QStringLiteral("exportDialog")) != nullptr);
    auto *dialog = window.findChild<ExportDialog *>(QStringLiteral("exportDialog"));
    QCOMPARE(dialog->formatChoice()->currentText(), QStringLiteral("peft"));
    QVERIFY(dialog->formatChoice()->findText(QStringLiteral("merged")) >= 0);

    const QString destination = dir_.filePath(QStringLiteral("exports"));
    typeInto(dialog->destinationEdit(), destination);
    // A hostile name cannot leave the destination.
    typeInto(dialog->nameEdit(), QStringLiteral("../../escape"));
    QVERIFY2(dialog->targetFolder().startsWith(destination + QLatin1Char('/')), qPrintable(dialog->targetFolder()));
    QCOMPARE(QFileInfo(dialog->targetFolder()).dir().absolutePath(), QDir(destination).absolutePath());
    typeInto(dialog->nameEdit(), QStringLiteral("my-adapter"));

    QSignalSpy exported(dialog, &ExportDialog::exported);
    QTest::mouseClick(dialog->exportButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTimeoutMs);
    const QString folder = QDir(destination).filePath(QStringLiteral("my-adapter"));
    QCOMPARE(exported.at(0).at(0).toString(), folder);
    for (const char *file : {"adapter_config.json", "adapter_model.safetensors", "README.md"})
        QVERIFY2(QFileInfo::exists(QDir(folder).filePath(QString::fromLatin1(file))), file);
    const QString summary = dialog->summary()->toPlainText();
    QVERIFY2(summary.contains(QStringLiteral("adapter_model.safetensors")), qPrintable(summary));

    // Each file is an artifact of the run with the SHA-256 the summary shows.
    lwb::storage::RunStore store(db.toStdString());
    const auto runId = store.listRuns().front().id;
    int recorded = 0;
    for (const auto &artifact : store.artifacts(runId)) {
        if (artifact.kind != "peft_adapter")
            continue;
        ++recorded;
        QCOMPARE(artifact.sha256, lwb::storage::sha256File(artifact.path).sha256);
        QVERIFY(summary.contains(QString::fromStdString(artifact.sha256)));
    }
    QCOMPARE(recorded, 3);

    // Again into the same folder: asked first; Cancel writes nothing.
    const QDateTime before
        = QFileInfo(QDir(folder).filePath(QStringLiteral("adapter_model.safetensors"))).lastModified();
    answerNextMessageBox(QMessageBox::Cancel);
    QTest::mouseClick(dialog->exportButton(), Qt::LeftButton); // returns once the box is answered
    QVERIFY(!dialog->isExporting());
    QCOMPARE(exported.count(), 1);
    QCOMPARE(QFileInfo(QDir(folder).filePath(QStringLiteral("adapter_model.safetensors"))).lastModified(), before);
    // Yes replaces it.
    answerNextMessageBox(QMessageBox::Yes);
    QTest::mouseClick(dialog->exportButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 2, kTimeoutMs);
    QVERIFY(QFileInfo::exists(QDir(folder).filePath(QStringLiteral("adapter_config.json"))));
    dialog->close();
}

QTEST_MAIN(ExportDialogTest)
#include "export_dialog_test.moc"
