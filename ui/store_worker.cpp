// See store_worker.h.
#include "ui/store_worker.h"

#include "storage/run_store.h"

namespace lwb::ui {

// The store thread's connection and the path it was opened for.
struct StoreWorker::Connection
{
    QString path;
    std::unique_ptr<lwb::storage::RunStore> store;
    QString openError;
};

StoreWorker::StoreWorker(QObject *parent)
    : QObject(parent)
    , context_(new QObject)
    , connection_(std::make_unique<Connection>())
{
    thread_.setObjectName(QStringLiteral("lwb-store"));
    context_->moveToThread(&thread_);
    thread_.start();
}

StoreWorker::~StoreWorker()
{
    stopping_.store(true); // tasks still waiting are skipped; the one in flight ends
    thread_.quit();
    thread_.wait();
    delete context_;
    connection_.reset(); // the store thread has ended: closing here races with nothing
}

void StoreWorker::setPath(const QString &path)
{
    path_ = path;
}

void StoreWorker::post(const QString &path, std::shared_ptr<StoreTaskControl> control, Task task)
{
    pending_.fetch_add(1);
    QMetaObject::invokeMethod(
        context_,
        [this, path, control = std::move(control), task = std::move(task)] {
            if (!stopping_.load()) {
                Connection &connection = *connection_;
                if (connection.path != path || (!connection.store && connection.openError.isEmpty())) {
                    connection.store.reset();
                    connection.openError.clear();
                    connection.path = path;
                    if (path.isEmpty()) {
                        connection.openError = tr("the run store is not open");
                    } else {
                        try {
                            // The window's own open already marked dead runs interrupted.
                            lwb::storage::StoreOptions options;
                            options.markInterruptedOnOpen = false;
                            connection.store = std::make_unique<lwb::storage::RunStore>(path.toStdString(), options);
                        } catch (const std::exception &error) {
                            connection.openError = QString::fromUtf8(error.what());
                        }
                    }
                }
                task(connection.store.get(), connection.openError);
            }
            if (pending_.fetch_sub(1) == 1)
                QMetaObject::invokeMethod(
                    this,
                    [this] {
                        if (pending_.load() == 0)
                            Q_EMIT idle();
                    },
                    Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

} // namespace lwb::ui
