// See settings_dialog.h.
#include "ui/settings_dialog.h"

#include "ui/engine_catalog.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QGroupBox>
#include <QSpinBox>
#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
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
    form->addRow(tr("Run store file:"), selectableLabel(store.path, "storePath"));
    form->addRow(tr("Chosen by:"), selectableLabel(describeSource(store.source), "storeSource"));
    form->addRow(tr("Status:"), selectableLabel(store.open ? tr("open; every run is recorded here")
                                                           : tr("cannot be used, runs are not recorded: %1")
                                                                 .arg(store.problem),
                                                "storeStatus"));
    form->addRow(QString(), selectableLabel(tr("To use another run store, start the workbench with "
                                               "--db PATH or set LWB_DB=PATH; lorawb takes the same."),
                                            "storeHint"));
    form->addRow(tr("Layout and last form:"), selectableLabel(settingsFile, "settingsFile"));

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    auto *copy = buttons->addButton(tr("Copy store path"), QDialogButtonBox::ActionRole);
    copy->setObjectName(QStringLiteral("copyStorePath"));
    connect(copy, &QPushButton::clicked, this, [path = store.path] { QApplication::clipboard()->setText(path); });
    auto *folder = buttons->addButton(tr("Open store folder"), QDialogButtonBox::ActionRole);
    connect(folder, &QPushButton::clicked, this, [path = store.path] {
        QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(path).absolutePath()));
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    auto *storeBox = new QGroupBox(tr("Run store"));
    storeBox->setLayout(form);
    layout->addWidget(storeBox);
    layout->addWidget(buildPreferences());
    layout->addWidget(buttons);
    resize(640, sizeHint().height());
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
