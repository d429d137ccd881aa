// ExportRunner: one adapter export on a thread of its own — the request
// built from the run store, engine/export's exportRun, then every written
// file hashed (SHA-256) and recorded as an artifact of the run — so that
// neither writing nor hashing a merged model of gigabytes, nor the store,
// ever holds up the window. Progress, the outcome and a cancelled export
// come back as queued calls on the GUI thread.
//
// Cancel is honoured before the export starts and between hashing chunks
// (1 MiB); the engine's write itself runs to its end (its folder is replaced
// atomically), so a cancel during it leaves the new files unrecorded.
//
// This header is torch-free; export_runner.cpp is one of the GUI-side files
// that include LibTorch (see ui/README.md).
#pragma once

#include "engine/export/export_request.h"
#include "engine/export/export_result.h"
#include "storage/run_records.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

class QThread;

namespace lwb::ui {

// What the dialog chose; the rest of the request comes from the store.
struct ExportChoices
{
    std::string format;
    std::string destination;
    std::string name;
    std::string dtype;
    std::uint64_t maxShardBytes = 0;
    bool expertFolders = false;
    bool force = false; // replace an existing folder
};

class ExportRunner : public QObject
{
    Q_OBJECT

public:
    explicit ExportRunner(QObject *parent = nullptr);
    ~ExportRunner() override; // cancels and waits: files are never left half-written

    // False when an export is already running.
    bool start(const QString &databasePath, qint64 runId, const ExportChoices &choices);
    bool isRunning() const;
    void cancel();

Q_SIGNALS:
    // stage: "export" (no amounts: total 0) or "hash" (bytes done of total).
    void progress(const QString &stage, qint64 done, qint64 total);
    // recordingProblem: non-empty when the files are written but the store could not record them.
    void succeeded(const lwb::ExportResult &result, const std::vector<lwb::storage::ArtifactRecord> &recorded,
                   const QString &recordingProblem);
    void failed(const QString &message);
    void cancelled(const QString &message);

private:
    std::unique_ptr<QThread> thread_;
    std::shared_ptr<std::atomic<bool>> cancel_;
};

} // namespace lwb::ui

Q_DECLARE_METATYPE(lwb::ExportResult)
