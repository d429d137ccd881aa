// See export_runner.h.
#include "ui/export_runner.h"

#include "engine/export/run_export.h"

#include <QThread>

#include <exception>

namespace lwb::ui {

ExportRunner::ExportRunner(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<lwb::ExportResult>();
}

ExportRunner::~ExportRunner()
{
    if (thread_)
        thread_->wait();
}

bool ExportRunner::isRunning() const
{
    return thread_ && thread_->isRunning();
}

bool ExportRunner::start(const lwb::RunExportRequest &request)
{
    if (isRunning())
        return false;
    if (thread_)
        thread_->wait();
    // The thread only computes; the outcome is handed to this object's
    // (GUI) thread through queued invocations.
    thread_.reset(QThread::create([this, request] {
        try {
            const lwb::ExportResult result = lwb::exportRun(request);
            QMetaObject::invokeMethod(this, [this, result] { Q_EMIT succeeded(result); }, Qt::QueuedConnection);
        } catch (const std::exception &error) {
            const QString message = QString::fromUtf8(error.what());
            QMetaObject::invokeMethod(this, [this, message] { Q_EMIT failed(message); }, Qt::QueuedConnection);
        }
    }));
    thread_->setObjectName(QStringLiteral("lwb-export"));
    thread_->start();
    return true;
}

} // namespace lwb::ui
