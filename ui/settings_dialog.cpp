// See settings_dialog.h.
#include "ui/settings_dialog.h"

#include <QApplication>
#include <QClipboard>
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

SettingsDialog::SettingsDialog(const StoreLocation &store, const QString &settingsFile, QWidget *parent)
    : QDialog(parent)
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
    layout->addLayout(form);
    layout->addWidget(buttons);
    resize(640, sizeHint().height());
}

} // namespace lwb::ui
