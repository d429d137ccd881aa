// File > Settings through the real menu action: the dialog names the run
// store file the window records into, why that file, and whether it opened;
// a store that cannot be opened is reported with its reason; another store
// can be chosen there (not under a running job), and is kept.
#include "ui/job_controller.h"
#include "ui/loss_plot.h"
#include "ui/main_window.h"
#include "ui/preferences.h"
#include "ui/run_form.h"
#include "ui/settings_dialog.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

using lwb::ui::MainWindow;
using lwb::ui::SettingsDialog;

class SettingsDialogTest : public QObject
{
    Q_OBJECT

private:
    // Opens the dialog as a person does and returns the text of one of its fields.
    static QString fieldOfOpenedDialog(MainWindow &window, const char *field)
    {
        auto *action = window.findChild<QAction *>(QStringLiteral("settingsAction"));
        if (!action)
            return QStringLiteral("<no settings action>");
        action->trigger();
        auto *dialog = window.findChild<SettingsDialog *>(QStringLiteral("settingsDialog"));
        if (!dialog || !dialog->isVisible())
            return QStringLiteral("<no dialog>");
        auto *label = dialog->findChild<QLabel *>(QString::fromLatin1(field));
        const QString text = label ? label->text() : QStringLiteral("<no field>");
        dialog->close(); // deletes itself (WA_DeleteOnClose) once deferred deletes run
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        return text;
    }

    QTemporaryDir dir_;

private slots:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        qputenv("XDG_DATA_HOME", dir_.filePath("data").toUtf8());
        qputenv("XDG_CONFIG_HOME", dir_.filePath("config").toUtf8());
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir_.filePath("config"));
        QCoreApplication::setOrganizationName(QStringLiteral("lora-workbench-test"));
    }

    void showsTheStoreChosenByTheEnvironment()
    {
        const QString path = dir_.filePath("env-runs.db");
        qputenv("LWB_DB", path.toUtf8());
        MainWindow window;
        window.show();
        QCOMPARE(fieldOfOpenedDialog(window, "storePath"), path);
        QCOMPARE(fieldOfOpenedDialog(window, "storeSource"), SettingsDialog::describeSource("LWB_DB"));
        QVERIFY(fieldOfOpenedDialog(window, "storeStatus").startsWith(QStringLiteral("open")));
        qunsetenv("LWB_DB");
    }

    void showsAnExplicitStoreAndWhyItFailed()
    {
        const QString notSqlite = dir_.filePath("notes.txt");
        QFile file(notSqlite);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("these are my notes, not a database\n");
        file.close();
        MainWindow window(notSqlite);
        window.show();
        QCOMPARE(fieldOfOpenedDialog(window, "storePath"), notSqlite);
        QCOMPARE(fieldOfOpenedDialog(window, "storeSource"), SettingsDialog::describeSource("--db"));
        const QString status = fieldOfOpenedDialog(window, "storeStatus");
        QVERIFY2(status.startsWith(QStringLiteral("cannot be used")), qPrintable(status));
        QVERIFY2(status.contains(QStringLiteral("notes.txt")), qPrintable(status));
    }

    // Preferences change the window at once, are kept for the next start, and
    // a new run starts from the chosen threads; the dark theme darkens the palette.
    void preferencesApplyLiveAndPersist()
    {
        MainWindow window(dir_.filePath("prefs.db"));
        window.show();
        window.findChild<QAction *>(QStringLiteral("settingsAction"))->trigger();
        auto *dialog = window.findChild<SettingsDialog *>(QStringLiteral("settingsDialog"));
        QVERIFY(dialog);
        dialog->refreshRate()->setValue(10);
        QCOMPARE(window.lossPlot()->refreshRate(), 10);
        dialog->threadCount()->setValue(3);
        dialog->themeChoice()->setCurrentIndex(dialog->themeChoice()->findData(QStringLiteral("dark")));
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 100);
        dialog->close();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);

        window.findChild<QAction *>(QStringLiteral("newRunAction"))->trigger();
        QCOMPARE(window.runForm()->document()["threads"].get<int>(), 3);

        const auto kept = lwb::ui::Preferences::load();
        QCOMPARE(kept.plotRefreshHz, 10);
        QCOMPARE(kept.threads, 3);
        QCOMPARE(kept.theme, QStringLiteral("dark"));
        MainWindow again(dir_.filePath("prefs.db"));
        QCOMPARE(again.lossPlot()->refreshRate(), 10);

        window.findChild<QAction *>(QStringLiteral("settingsAction"))->trigger();
        dialog = window.findChild<SettingsDialog *>(QStringLiteral("settingsDialog"));
        dialog->themeChoice()->setCurrentIndex(dialog->themeChoice()->findData(QStringLiteral("light")));
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 150);
        dialog->close();
    }

    // Settings > Another store: the window records into the new file at
    // once and opens it next time; a file that is not a store, or a job that
    // is running, leaves the current store in use and says why.
    void switchesTheRunStoreAndRemembersIt()
    {
        qunsetenv("LWB_DB");
        MainWindow window;
        window.show();
        window.findChild<QAction *>(QStringLiteral("settingsAction"))->trigger();
        auto *dialog = window.findChild<SettingsDialog *>(QStringLiteral("settingsDialog"));
        QVERIFY(dialog);
        const auto field
            = [dialog](const char *name) { return dialog->findChild<QLabel *>(QString::fromLatin1(name))->text(); };
        QCOMPARE(field("storeSource"), SettingsDialog::describeSource("default"));

        const QString chosen = dir_.filePath("chosen.db");
        dialog->storePathEdit()->setText(chosen);
        QTest::mouseClick(dialog->useStoreButton(), Qt::LeftButton);
        QCOMPARE(field("storePath"), chosen);
        QCOMPARE(field("storeSource"), SettingsDialog::describeSource("settings"));
        QVERIFY(field("storeStatus").startsWith(QStringLiteral("open")));
        QVERIFY(field("storeSwitchResult").isEmpty());
        QCOMPARE(window.databasePath(), chosen);
        QVERIFY(QFile::exists(chosen));

        dialog->storePathEdit()->setText(dir_.filePath("notes.txt")); // written by the test above
        QTest::mouseClick(dialog->useStoreButton(), Qt::LeftButton);
        QVERIFY2(field("storeSwitchResult").startsWith(QStringLiteral("Not switched:")),
                 qPrintable(field("storeSwitchResult")));
        QCOMPARE(field("storePath"), chosen);
        QCOMPARE(window.databasePath(), chosen);

        // A running job records into the current store: no switch under it.
        window.runForm()->setDocument(nlohmann::json{{"threads", 1}, {"training", {{"steps", 100000}}}});
        QSignalSpy finished(window.jobController(), &lwb::ui::JobController::jobFinished);
        QTest::mouseClick(window.startButton(), Qt::LeftButton);
        dialog->storePathEdit()->setText(dir_.filePath("other.db"));
        QTest::mouseClick(dialog->useStoreButton(), Qt::LeftButton);
        QVERIFY2(field("storeSwitchResult").contains(QStringLiteral("running")),
                 qPrintable(field("storeSwitchResult")));
        QCOMPARE(window.databasePath(), chosen);
        window.cancelJob();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        dialog->close();

        MainWindow next; // the choice is kept for the next start
        QCOMPARE(next.databasePath(), chosen);
        QSettings().remove(QStringLiteral("runStore/path"));
    }
};

QTEST_MAIN(SettingsDialogTest)
#include "settings_dialog_test.moc"
