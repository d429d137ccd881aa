// ExportDialog: a run's adapter as files other tools load — the GUI face of
// `lorawb export` (both call engine/export's exportRun through the same
// request, storage/export_source.h).
//
// The user picks the format the run's variant offers (PEFT, merged model,
// SiRA bundle, ...), the destination folder and the folder name, the dtype,
// and for merged models the shard size. An existing export folder is replaced
// only after a confirmation. The export, the hashing of every file and the
// store's reads and writes run on the export's own thread (the window stays
// live), with progress (bytes hashed) and Cancel; afterwards the dialog lists
// what was written — each file with its size and SHA-256, which the run store
// now holds as the run's artifacts.
#pragma once

#include "engine/export/export_result.h"
#include "storage/run_records.h"

#include <QDialog>

#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace lwb::ui {

class ExportRunner;

class ExportDialog : public QDialog
{
    Q_OBJECT

public:
    // databasePath: the run store the export reads its run from and records into.
    ExportDialog(const QString &databasePath, const lwb::storage::RunRecord &run, QWidget *parent = nullptr);

    QComboBox *formatChoice() const { return format_; }
    QLineEdit *destinationEdit() const { return destination_; }
    QLineEdit *nameEdit() const { return name_; }
    QComboBox *dtypeChoice() const { return dtype_; }
    QPushButton *exportButton() const { return export_; }
    QPushButton *cancelButton() const { return cancel_; }
    QProgressBar *progressBar() const { return progress_; }
    QPlainTextEdit *summary() const { return summary_; }
    bool isExporting() const;

    // The folder the export goes to, as the engine will name it.
    QString targetFolder() const;

public Q_SLOTS:
    void reject() override; // ignored while an export runs: it finishes or fails on its own

Q_SIGNALS:
    void exported(const QString &folder); // after the files are recorded in the store
    void exportEnded();                   // succeeded, failed or cancelled: the dialog is idle again

private:
    void onFormatChanged();
    void startExport();
    void onProgress(const QString &stage, qint64 done, qint64 total);
    void onSucceeded(const lwb::ExportResult &result, const std::vector<lwb::storage::ArtifactRecord> &recorded,
                     const QString &recordingProblem);
    void onFailed(const QString &message);
    void onCancelled(const QString &message);
    void setBusy(bool busy);

    QString databasePath_;
    lwb::storage::RunRecord run_;
    ExportRunner *runner_;
    QComboBox *format_;
    QLineEdit *destination_;
    QLineEdit *name_;
    QComboBox *dtype_;
    QSpinBox *shardMiB_;
    QCheckBox *expertFolders_;
    QLabel *formatHelp_;
    QProgressBar *progress_;
    QPlainTextEdit *summary_;
    QPushButton *export_;
    QPushButton *close_;
    QPushButton *cancel_;
    bool nameEdited_ = false;
};

} // namespace lwb::ui
