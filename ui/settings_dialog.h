// SettingsDialog: where the workbench keeps its state, and how to change it.
//
// Shows the run store file in use, why that file (the --db option, the
// LWB_DB environment variable or the default in the user's data directory),
// whether it could be opened (and if not, the reason), and the file that
// holds the window layout and the last form. The run store is chosen when
// the program starts, so the dialog explains how to pick another one rather
// than switching files under a running job.
#pragma once

#include <QDialog>

class QLabel;

namespace lwb::ui {

struct StoreLocation
{
    QString path;
    QString source;        // "--db", "LWB_DB" or "default"
    bool open = false;
    QString problem;       // why it could not be opened (when !open)
};

class SettingsDialog : public QDialog
{
    Q_OBJECT

public:
    SettingsDialog(const StoreLocation &store, const QString &settingsFile, QWidget *parent = nullptr);

    // "the --db option", "the LWB_DB environment variable", ...
    static QString describeSource(const QString &source);
};

} // namespace lwb::ui
