// See export_runner.h.
#include "ui/export_runner.h"

#include "engine/export/run_export.h"
#include "storage/export_artifacts.h"
#include "storage/export_source.h"
#include "storage/run_store.h"

#include <QElapsedTimer>
#include <QThread>

#include <exception>

namespace lwb::ui {

namespace {

constexpr qint64 kProgressIntervalMs = 50; // a gigabyte hashes in many chunks: report at most 20 times a second

} // namespace

ExportRunner::ExportRunner(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<lwb::ExportResult>();
}

ExportRunner::~ExportRunner()
{
    cancel();
    if (thread_)
        thread_->wait();
}

bool ExportRunner::isRunning() const
{
    return thread_ && thread_->isRunning();
}

void ExportRunner::cancel()
{
    if (cancel_)
        cancel_->store(true);
}

bool ExportRunner::start(const QString &databasePath, qint64 runId, const ExportChoices &choices)
{
    if (isRunning())
        return false;
    if (thread_)
        thread_->wait();
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    // The thread computes and touches its own store connection; everything
    // it reports is handed to this object's (GUI) thread by queued calls.
    thread_.reset(QThread::create([this, databasePath, runId, choices, cancel = cancel_] {
        auto post = [this](auto call) { QMetaObject::invokeMethod(this, std::move(call), Qt::QueuedConnection); };
        try {
            lwb::storage::StoreOptions options;
            options.markInterruptedOnOpen = false;
            lwb::storage::RunStore store(databasePath.toStdString(), options);
            lwb::RunExportRequest request = lwb::storage::exportRequestForRun(store, runId, choices.format);
            request.destination = choices.destination;
            request.name = choices.name;
            request.dtype = choices.dtype;
            request.maxShardBytes = choices.maxShardBytes;
            request.expertFolders = choices.expertFolders;
            request.force = choices.force;
            if (cancel->load()) {
                post([this] { Q_EMIT cancelled(tr("Cancelled before anything was written.")); });
                return;
            }
            post([this] { Q_EMIT progress(QStringLiteral("export"), 0, 0); });
            const lwb::ExportResult result = lwb::exportRun(request);

            QElapsedTimer sinceReport;
            sinceReport.start();
            lwb::storage::HashingControl hashing;
            hashing.cancelled = cancel.get();
            hashing.progress = [&](std::int64_t done, std::int64_t total) {
                if (done == total || sinceReport.elapsed() >= kProgressIntervalMs) {
                    sinceReport.restart();
                    post([this, done, total] { Q_EMIT progress(QStringLiteral("hash"), done, total); });
                }
            };
            std::vector<lwb::storage::ArtifactRecord> recorded;
            QString problem;
            try {
                recorded = lwb::storage::recordExportArtifacts(store, runId, result, hashing);
            } catch (const lwb::storage::HashingCancelled &) {
                const QString folder = QString::fromStdString(result.folder);
                post([this, folder] {
                    Q_EMIT cancelled(tr("Cancelled while hashing: the files are in %1 but not recorded in the run "
                                        "store.")
                                         .arg(folder));
                });
                return;
            } catch (const std::exception &error) {
                problem = QString::fromUtf8(error.what());
            }
            post([this, result, recorded, problem] { Q_EMIT succeeded(result, recorded, problem); });
        } catch (const std::exception &error) {
            const QString message = QString::fromUtf8(error.what());
            post([this, message] { Q_EMIT failed(message); });
        }
    }));
    thread_->setObjectName(QStringLiteral("lwb-export"));
    thread_->start();
    return true;
}

} // namespace lwb::ui
