// See settings_dialog.h.
#include "ui/settings_dialog.h"

#include "ui/engine_catalog.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QUrl>
#include <QVBoxLayout>

namespace lwb::ui {

namespace {

QLabel *selectableLabel(const QString &text, const char *objectName)
{
    auto *label = new QLabel(text);
    label->setObjectName(QString::fromLatin1(objectName));
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}

} // namespace

QString SettingsDialog::describeSource(const QString &source)
{
    if (source == QLatin1String("--db"))
        return tr("the --db option on the command line");
    if (source == QLatin1String("LWB_DB"))
        return tr("the LWB_DB environment variable");
    if (source == QLatin1String("settings"))
        return tr("your choice here in Settings (kept for the next start)");
    return tr("the default location in your data directory ($XDG_DATA_HOME or ~/.local/share)");
}

SettingsDialog::SettingsDialog(const StoreLocation &store, const QString &settingsFile, const Preferences &preferences,
                               QWidget *parent)
    : QDialog(parent)
    , preferences_(preferences)
{
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Settings"));

    auto *form = new QFormLayout;
    form->addRow(tr("Run store file:"), storePath_ = selectableLabel(QString(), "storePath"));
    form->addRow(tr("Chosen by:"), storeSource_ = selectableLabel(QString(), "storeSource"));
    form->addRow(tr("Status:"), storeStatus_ = selectableLabel(QString(), "storeStatus"));
    storeEdit_ = new QLineEdit;
    storeEdit_->setObjectName(QStringLiteral("storePathEdit"));
    storeEdit_->setPlaceholderText(tr("another .db file (created if new)"));
    auto *browse = new QPushButton(tr("Browse…"));
    useStore_ = new QPushButton(tr("Use this store"));
    useStore_->setObjectName(QStringLiteral("useStore"));
    useStore_->setToolTip(tr("Switch the window to this run store now (not while a job runs or waits). "
                             "lorawb takes --db PATH or LWB_DB=PATH."));
    auto *switchRow = new QHBoxLayout;
    switchRow->addWidget(storeEdit_, 1);
    switchRow->addWidget(browse);
    switchRow->addWidget(useStore_);
    form->addRow(tr("Another store:"), switchRow);
    form->addRow(QString(), switchResult_ = selectableLabel(QString(), "storeSwitchResult"));
    form->addRow(tr("Layout and last form:"), selectableLabel(settingsFile, "settingsFile"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Run store"), storeEdit_->text(),
                                                          tr("Run stores (*.db);;All files (*)"), nullptr,
                                                          QFileDialog::DontConfirmOverwrite);
        if (!path.isEmpty())
            storeEdit_->setText(path);
    });
    connect(useStore_, &QPushButton::clicked, this, [this] {
        if (!storeEdit_->text().trimmed().isEmpty())
            Q_EMIT storeRequested(storeEdit_->text().trimmed());
    });
    setStore(store);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    auto *copy = buttons->addButton(tr("Copy store path"), QDialogButtonBox::ActionRole);
    copy->setObjectName(QStringLiteral("copyStorePath"));
    connect(copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(storePath_->text()); });
    auto *folder = buttons->addButton(tr("Open store folder"), QDialogButtonBox::ActionRole);
    connect(folder, &QPushButton::clicked, this,
            [this] { QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(storePath_->text()).absolutePath())); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    auto *storeBox = new QGroupBox(tr("Run store"));
    storeBox->setLayout(form);
    layout->addWidget(storeBox);
    layout->addWidget(buildPreferences());
    layout->addWidget(buttons);
    resize(640, sizeHint().height());
}

void SettingsDialog::setStore(const StoreLocation &store, const QString &refusal)
{
    storePath_->setText(store.path);
    storeSource_->setText(describeSource(store.source));
    storeStatus_->setText(store.open ? tr("open; every run is recorded here")
                                     : tr("cannot be used, runs are not recorded: %1").arg(store.problem));
    switchResult_->setText(refusal.isEmpty() ? QString() : tr("Not switched: %1").arg(refusal));
}

QWidget *SettingsDialog::buildPreferences()
{
    auto *box = new QGroupBox(tr("Preferences"));
    auto *form = new QFormLayout(box);
    theme_ = new QComboBox;
    theme_->setObjectName(QStringLiteral("themeChoice"));
    theme_->addItem(tr("Follow the system"), QStringLiteral("system"));
    theme_->addItem(tr("Light"), QStringLiteral("light"));
    theme_->addItem(tr("Dark"), QStringLiteral("dark"));
    theme_->setCurrentIndex(std::max(0, theme_->findData(preferences_.theme)));
    refresh_ = new QSpinBox;
    refresh_->setObjectName(QStringLiteral("plotRefreshRate"));
    refresh_->setRange(Preferences::kMinRefreshHz, Preferences::kMaxRefreshHz);
    refresh_->setSuffix(tr(" Hz"));
    refresh_->setValue(preferences_.plotRefreshHz);
    refresh_->setToolTip(tr("How often the live plots redraw at most. Lower it on a slow remote display."));
    device_ = new QComboBox;
    device_->setObjectName(QStringLiteral("defaultDevice"));
    device_->addItems(EngineCatalog::deviceNames());
    if (device_->findText(preferences_.defaultDevice) < 0)
        device_->addItem(preferences_.defaultDevice); // a GPU not present now stays chosen
    device_->setCurrentText(preferences_.defaultDevice);
    device_->setToolTip(tr("The device a new run (Run > New run) starts with."));
    threads_ = new QSpinBox;
    threads_->setObjectName(QStringLiteral("defaultThreads"));
    threads_->setRange(0, 1024);
    threads_->setSpecialValueText(tr("all cores"));
    threads_->setValue(preferences_.threads);
    threads_->setToolTip(tr("Torch threads of a new run; 0 uses every core of the machine."));
    form->addRow(tr("Theme:"), theme_);
    form->addRow(tr("Plot refresh:"), refresh_);
    form->addRow(tr("Device of new runs:"), device_);
    form->addRow(tr("Threads of new runs:"), threads_);
    connect(theme_, &QComboBox::currentIndexChanged, this, &SettingsDialog::onEdited);
    connect(refresh_, &QSpinBox::valueChanged, this, &SettingsDialog::onEdited);
    connect(device_, &QComboBox::currentIndexChanged, this, &SettingsDialog::onEdited);
    connect(threads_, &QSpinBox::valueChanged, this, &SettingsDialog::onEdited);
    return box;
}

void SettingsDialog::onEdited()
{
    preferences_.theme = theme_->currentData().toString();
    preferences_.plotRefreshHz = refresh_->value();
    preferences_.defaultDevice = device_->currentText();
    preferences_.threads = threads_->value();
    preferences_.save();
    Q_EMIT preferencesChanged(preferences_);
}

} // namespace lwb::ui
