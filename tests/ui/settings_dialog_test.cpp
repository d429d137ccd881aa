// File > Settings through the real menu action: the dialog names the run
// store file the window records into, why that file, and whether it opened;
// a store that cannot be opened is reported with its reason.
#include "ui/main_window.h"
#include "ui/settings_dialog.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QSettings>
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
};

QTEST_MAIN(SettingsDialogTest)
#include "settings_dialog_test.moc"
