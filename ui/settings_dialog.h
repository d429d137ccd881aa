// SettingsDialog: where the workbench keeps its state, and how to change it.
//
// Shows the run store file in use, why that file (the --db option, the
// LWB_DB environment variable or the default in the user's data directory),
// whether it could be opened (and if not, the reason), and the file that
// holds the window layout and the last form. The run store is chosen when
// the program starts, so the dialog explains how to pick another one rather
// than switching files under a running job.
//
// Below, the preferences (theme, plot refresh rate, the device and threads of
// new runs): each change is saved and announced at once (preferencesChanged),
// so the window follows while the dialog is open.
#pragma once

#include "ui/preferences.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QSpinBox;

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
    SettingsDialog(const StoreLocation &store, const QString &settingsFile, const Preferences &preferences = {},
                   QWidget *parent = nullptr);

    const Preferences &preferences() const { return preferences_; }
    QComboBox *themeChoice() const { return theme_; }
    QSpinBox *refreshRate() const { return refresh_; }
    QComboBox *deviceChoice() const { return device_; }
    QSpinBox *threadCount() const { return threads_; }

    // "the --db option", "the LWB_DB environment variable", ...
    static QString describeSource(const QString &source);

Q_SIGNALS:
    void preferencesChanged(const lwb::ui::Preferences &preferences);

private:
    QWidget *buildPreferences();
    void onEdited();

    Preferences preferences_;
    QComboBox *theme_ = nullptr;
    QSpinBox *refresh_ = nullptr;
    QComboBox *device_ = nullptr;
    QSpinBox *threads_ = nullptr;
};

} // namespace lwb::ui
