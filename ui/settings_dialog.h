// SettingsDialog: where the workbench keeps its state, and how to change it.
//
// Shows the run store file in use, why that file (the --db option, the
// LWB_DB environment variable or the default in the user's data directory),
// whether it could be opened (and if not, the reason), and the file that
// holds the window layout and the last form. "Use this store" asks the
// window to switch to another file (storeRequested); the window refuses while
// a job runs or waits (its runs record into the current store) and says why,
// or switches and remembers the choice for the next start (--db and LWB_DB
// still win over it). setStore() shows the outcome.
//
// Below, the preferences (theme, plot refresh rate, the device and threads of
// new runs): each change is saved and announced at once (preferencesChanged),
// so the window follows while the dialog is open.
#pragma once

#include "ui/preferences.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace lwb::ui {

struct StoreLocation
{
    QString path;
    QString source; // "--db", "LWB_DB" or "default"
    bool open = false;
    QString problem; // why it could not be opened (when !open)
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

    QLineEdit *storePathEdit() const { return storeEdit_; }
    QPushButton *useStoreButton() const { return useStore_; }

    // The store in use now; refusal: why the last switch did not happen ("" = it did).
    void setStore(const StoreLocation &store, const QString &refusal = {});

    // "the --db option", "the LWB_DB environment variable", ...
    static QString describeSource(const QString &source);

Q_SIGNALS:
    void preferencesChanged(const lwb::ui::Preferences &preferences);
    void storeRequested(const QString &path);

private:
    QWidget *buildPreferences();
    void onEdited();

    QLabel *storePath_ = nullptr;
    QLabel *storeSource_ = nullptr;
    QLabel *storeStatus_ = nullptr;
    QLabel *switchResult_ = nullptr;
    QLineEdit *storeEdit_ = nullptr;
    QPushButton *useStore_ = nullptr;

    Preferences preferences_;
    QComboBox *theme_ = nullptr;
    QSpinBox *refresh_ = nullptr;
    QComboBox *device_ = nullptr;
    QSpinBox *threads_ = nullptr;
};

} // namespace lwb::ui
