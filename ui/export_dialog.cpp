// See export_dialog.h.
#include "ui/export_dialog.h"

#include "engine/adapters/variant_traits.h"
#include "engine/export/export_folder.h"
#include "storage/export_source.h"
#include "ui/engine_catalog.h"
#include "ui/export_runner.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace lwb::ui {

namespace {

constexpr int kDefaultShardMiB = 4768; // transformers' default max_shard_size "5GB" (5e9 bytes)

QString formatDescription(const QString &format, const QString &variant)
{
    if (format == QLatin1String("peft"))
        return QObject::tr("PEFT LoRA folder (adapter_config.json + adapter_model.safetensors): "
                           "PeftModel.from_pretrained(base, folder) loads it.");
    if (format == QLatin1String("merged"))
        return QObject::tr("The base model with the adapter merged into its weights, a Hugging Face checkpoint "
                           "folder (config.json + safetensors, sharded past the size below). Variants whose "
                           "routing depends on the input cannot be merged.");
    if (format == QLatin1String("base"))
        return QObject::tr("The base model alone, as a Hugging Face checkpoint folder: the base that a PEFT "
                           "export of a built-in model loads onto.");
    if (format == QLatin1String("bundle") && lwb::isStudyVariant(variant.toStdString()))
        return QObject::tr("Each task LoRA as a PEFT folder (tasks/<task>), the plugin's tensors and a JSON "
                           "manifest with the library order and selection rule (see engine/export/README.md).");
    if (format == QLatin1String("bundle"))
        return QObject::tr("The experts and routers with a JSON manifest (see engine/export/README.md); "
                           "importable back into the workbench.");
    return {};
}

QString humanSize(qint64 bytes)
{
    if (bytes < 1024)
        return QObject::tr("%1 B").arg(bytes);
    if (bytes < 1024 * 1024)
        return QObject::tr("%1 KiB").arg(double(bytes) / 1024.0, 0, 'f', 1);
    return QObject::tr("%1 MiB").arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 1);
}

} // namespace

ExportDialog::ExportDialog(const QString &databasePath, const lwb::storage::RunRecord &run, QWidget *parent)
    : QDialog(parent)
    , databasePath_(databasePath)
    , run_(run)
    , runner_(new ExportRunner(this))
    , format_(new QComboBox)
    , destination_(new QLineEdit)
    , name_(new QLineEdit)
    , dtype_(new QComboBox)
    , shardMiB_(new QSpinBox)
    , expertFolders_(new QCheckBox(tr("also each expert as its own PEFT folder")))
    , formatHelp_(new QLabel)
    , progress_(new QProgressBar)
    , summary_(new QPlainTextEdit)
    , export_(new QPushButton(tr("Export")))
    , close_(new QPushButton(tr("Close")))
    , cancel_(new QPushButton(tr("Cancel export")))
{
    setObjectName(QStringLiteral("exportDialog"));
    setWindowTitle(tr("Export run #%1 %2").arg(run.id).arg(QString::fromStdString(run.name)));

    format_->setObjectName(QStringLiteral("exportFormat"));
    format_->addItems(EngineCatalog::exportFormats(QString::fromStdString(run.variant)));
    destination_->setObjectName(QStringLiteral("exportDestination"));
    destination_->setText(QString::fromStdString(lwb::storage::defaultExportRoot()));
    auto *browse = new QPushButton(tr("Browse…"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Export into"), destination_->text());
        if (!folder.isEmpty())
            destination_->setText(folder);
    });
    auto *destinationRow = new QHBoxLayout;
    destinationRow->addWidget(destination_, 1);
    destinationRow->addWidget(browse);
    name_->setObjectName(QStringLiteral("exportName"));
    name_->setToolTip(
        tr("Only letters, digits, '.', '_' and '-' are kept; the folder is created inside the destination."));
    connect(name_, &QLineEdit::textEdited, this, [this] { nameEdited_ = true; });
    dtype_->setObjectName(QStringLiteral("exportDtype"));
    dtype_->addItems({QStringLiteral("float32"), QStringLiteral("bfloat16"), QStringLiteral("float16")});
    dtype_->setToolTip(tr("The dtype of the written tensors; training ran in float32."));
    shardMiB_->setObjectName(QStringLiteral("exportShardMiB"));
    shardMiB_->setRange(1, 1 << 20);
    shardMiB_->setValue(kDefaultShardMiB);
    shardMiB_->setSuffix(tr(" MiB"));
    expertFolders_->setObjectName(QStringLiteral("exportExpertFolders"));
    formatHelp_->setWordWrap(true);
    summary_->setObjectName(QStringLiteral("exportSummary"));
    summary_->setReadOnly(true);
    summary_->setPlaceholderText(tr("What was written appears here: each file with its size and SHA-256."));
    progress_->setObjectName(QStringLiteral("exportProgress"));
    progress_->hide();
    cancel_->setObjectName(QStringLiteral("cancelExportButton"));
    cancel_->setToolTip(tr("Stop before writing, or stop hashing: written files are then left unrecorded."));
    cancel_->hide();
    export_->setObjectName(QStringLiteral("exportButton"));
    export_->setDefault(true);

    auto *form = new QFormLayout;
    form->addRow(tr("Format:"), format_);
    form->addRow(QString(), formatHelp_);
    form->addRow(tr("Destination:"), destinationRow);
    form->addRow(tr("Folder name:"), name_);
    form->addRow(tr("Dtype:"), dtype_);
    form->addRow(tr("Shard size:"), shardMiB_);
    form->addRow(QString(), expertFolders_);
    auto *buttons = new QDialogButtonBox;
    buttons->addButton(export_, QDialogButtonBox::AcceptRole);
    buttons->addButton(close_, QDialogButtonBox::RejectRole);
    buttons->addButton(cancel_, QDialogButtonBox::ActionRole);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(progress_);
    layout->addWidget(summary_, 1);
    layout->addWidget(buttons);

    connect(format_, &QComboBox::currentIndexChanged, this, &ExportDialog::onFormatChanged);
    connect(export_, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(close_, &QPushButton::clicked, this, &QDialog::reject);
    connect(cancel_, &QPushButton::clicked, this, [this] {
        runner_->cancel();
        cancel_->setEnabled(false);
    });
    connect(runner_, &ExportRunner::progress, this, &ExportDialog::onProgress);
    connect(runner_, &ExportRunner::succeeded, this, &ExportDialog::onSucceeded);
    connect(runner_, &ExportRunner::failed, this, &ExportDialog::onFailed);
    connect(runner_, &ExportRunner::cancelled, this, &ExportDialog::onCancelled);
    if (format_->count() == 0) {
        export_->setEnabled(false);
        formatHelp_->setText(tr("The %1 variant has no export format yet.").arg(QString::fromStdString(run.variant)));
    }
    onFormatChanged();
    resize(720, 520);
}

bool ExportDialog::isExporting() const
{
    return runner_->isRunning();
}

QString ExportDialog::targetFolder() const
{
    const std::string name = lwb::sanitizeExportName(name_->text().toStdString());
    return QDir(destination_->text()).filePath(QString::fromStdString(name));
}

void ExportDialog::reject()
{
    if (!isExporting())
        QDialog::reject();
}

void ExportDialog::onFormatChanged()
{
    const QString format = format_->currentText();
    formatHelp_->setText(formatDescription(format, QString::fromStdString(run_.variant)));
    shardMiB_->setEnabled(format == QLatin1String("merged"));
    expertFolders_->setEnabled(format == QLatin1String("bundle") && lwb::reportsRouting(run_.variant));
    if (!nameEdited_)
        name_->setText(QStringLiteral("%1-run%2-%3").arg(QString::fromStdString(run_.name)).arg(run_.id).arg(format));
}

void ExportDialog::setBusy(bool busy)
{
    progress_->setVisible(busy);
    progress_->setRange(0, 0); // busy until the first amounts come
    cancel_->setVisible(busy);
    cancel_->setEnabled(busy);
    export_->setEnabled(!busy);
    close_->setEnabled(!busy);
    for (QWidget *field :
         std::initializer_list<QWidget *>{format_, destination_, name_, dtype_, shardMiB_, expertFolders_})
        field->setEnabled(!busy);
    if (!busy)
        onFormatChanged();
}

void ExportDialog::startExport()
{
    if (isExporting() || format_->count() == 0)
        return;
    ExportChoices choices;
    choices.format = format_->currentText().toStdString();
    choices.destination = destination_->text().toStdString();
    choices.name = name_->text().toStdString();
    choices.dtype = dtype_->currentText().toStdString();
    choices.maxShardBytes = static_cast<std::uint64_t>(shardMiB_->value()) * 1024ULL * 1024ULL;
    choices.expertFolders = expertFolders_->isChecked();
    const QString target = targetFolder();
    if (QFileInfo::exists(target)) {
        QMessageBox box(QMessageBox::Warning, tr("Replace the export?"),
                        tr("%1 exists. Replace it with this export? The old folder is removed only once the "
                           "new one is complete.")
                            .arg(target),
                        QMessageBox::Yes | QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("replaceExportBox"));
        box.setDefaultButton(QMessageBox::Cancel);
        if (box.exec() != QMessageBox::Yes)
            return;
        choices.force = true;
    }
    summary_->setPlainText(tr("Exporting run #%1 as %2 to %3 …").arg(run_.id).arg(format_->currentText(), target));
    setBusy(true);
    runner_->start(databasePath_, run_.id, choices);
}

void ExportDialog::onProgress(const QString &stage, qint64 done, qint64 total)
{
    if (stage == QLatin1String("hash") && total > 0) {
        // Bytes can pass int's range: the bar counts KiB.
        progress_->setRange(0, int(total / 1024) + 1);
        progress_->setValue(int(done / 1024) + (done == total ? 1 : 0));
        progress_->setFormat(tr("hashing %p%"));
    } else {
        progress_->setRange(0, 0);
    }
}

void ExportDialog::onSucceeded(const lwb::ExportResult &result,
                               const std::vector<lwb::storage::ArtifactRecord> &recorded,
                               const QString &recordingProblem)
{
    setBusy(false);
    QStringList lines;
    lines << tr("Exported run #%1 as %2 to %3")
                 .arg(run_.id)
                 .arg(QString::fromStdString(result.format), QString::fromStdString(result.folder));
    if (recordingProblem.isEmpty()) {
        lines << tr("%n file(s), recorded as artifacts of the run (size, SHA-256):", nullptr, int(recorded.size()));
        for (const auto &artifact : recorded)
            lines << QStringLiteral("  %1  %2  %3")
                         .arg(QString::fromStdString(artifact.sha256), humanSize(artifact.sizeBytes),
                              QDir(QString::fromStdString(result.folder))
                                  .relativeFilePath(QString::fromStdString(artifact.path)));
    } else {
        lines << tr("The files are written, but the run store could not record them: %1").arg(recordingProblem);
    }
    summary_->setPlainText(lines.join(QLatin1Char('\n')));
    Q_EMIT exported(QString::fromStdString(result.folder));
    Q_EMIT exportEnded();
}

void ExportDialog::onFailed(const QString &message)
{
    setBusy(false);
    summary_->setPlainText(tr("The export failed; nothing was written.\n%1").arg(message));
    Q_EMIT exportEnded();
}

void ExportDialog::onCancelled(const QString &message)
{
    setBusy(false);
    summary_->setPlainText(tr("The export was cancelled. %1").arg(message));
    Q_EMIT exportEnded();
}

} // namespace lwb::ui
