// StoreWorker: the window's reads and writes of the run store, on a thread of
// their own, so that the GUI thread never waits on the disk — not for a list
// of ten thousand runs, a compare of million-step series, a delete that
// cascades through their samples, nor a writer holding SQLite's lock.
//
// Tasks run one after another on that thread, each with the thread's own
// RunStore connection (a store is used by one thread at a time; this one is
// opened on first use and again when the path changes). A task's value comes
// back to the GUI thread by a queued call on its receiver; a receiver
// destroyed before then drops it (Qt discards the queued call). An exception
// in a task comes back as its message; it never ends the thread.
//
// Cancel and progress: a task may hold a StoreTaskControl; cancel() sets an
// atomic flag the task checks between units of work (runs deleted, series
// read), and progress(done, total) posts to the receiver. A task still
// waiting when cancelled is skipped.
//
// Destruction cancels the waiting tasks, lets the one in flight finish (a
// delete is one transaction per run: never left half done) and joins.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

namespace lwb::storage {
class RunStore;
}

namespace lwb::ui {

// Shared by the GUI (cancel) and one task on the store thread (checks, reports).
class StoreTaskControl
{
public:
    void cancel() { cancelled_.store(true); }
    bool isCancelled() const { return cancelled_.load(); }
    // Called on the store thread; onProgress runs on the receiver's thread.
    void progress(int done, int total) const
    {
        if (onProgress && receiver)
            QMetaObject::invokeMethod(
                receiver.data(), [f = onProgress, done, total] { f(done, total); }, Qt::QueuedConnection);
    }

    QPointer<QObject> receiver;
    std::function<void(int done, int total)> onProgress;

private:
    std::atomic<bool> cancelled_{false};
};

// What a task gave back: its value, or why not (error, or cancelled).
template <typename Result> struct StoreOutcome
{
    std::optional<Result> value;
    QString error;          // empty with a value
    bool cancelled = false; // skipped or stopped by StoreTaskControl::cancel
};

class StoreWorker : public QObject
{
    Q_OBJECT

public:
    explicit StoreWorker(QObject *parent = nullptr);
    ~StoreWorker() override;

    // The file the next tasks open; empty: tasks fail with "not open".
    void setPath(const QString &path);
    QString path() const { return path_; }

    // Runs work(store, control) on the store thread, then done(outcome) on
    // receiver's thread. control is how the caller cancels the task or hears
    // its progress; the default one is never cancelled and reports to no one.
    template <typename Result>
    void run(QObject *receiver, std::function<Result(lwb::storage::RunStore &, const StoreTaskControl &)> work,
             std::function<void(StoreOutcome<Result>)> done,
             std::shared_ptr<StoreTaskControl> control = std::make_shared<StoreTaskControl>())
    {
        QPointer<QObject> target(receiver);
        // The task checks control (a cancel before it starts skips the work);
        // the parameter, a copy for the task taken, is moved on to post().
        Task task = [work = std::move(work), done = std::move(done), target, control](lwb::storage::RunStore *store,
                                                                                      const QString &openError) {
            StoreOutcome<Result> outcome;
            if (control->isCancelled()) {
                outcome.cancelled = true;
            } else if (store == nullptr) {
                outcome.error = openError;
            } else {
                try {
                    outcome.value.emplace(work(*store, *control));
                    outcome.cancelled = control->isCancelled();
                } catch (const std::exception &error) {
                    outcome.error = QString::fromUtf8(error.what());
                }
            }
            if (target)
                QMetaObject::invokeMethod(
                    target.data(), [done, outcome = std::move(outcome)]() mutable { done(std::move(outcome)); },
                    Qt::QueuedConnection);
        };
        post(path_, std::move(control), std::move(task));
    }

    // Tasks posted and not yet finished (for tests and the stall benchmark).
    int pendingTasks() const { return pending_.load(); }

Q_SIGNALS:
    void idle(); // the last posted task finished (GUI thread)

private:
    using Task = std::function<void(lwb::storage::RunStore *store, const QString &openError)>;
    void post(const QString &path, std::shared_ptr<StoreTaskControl> control, Task task);

    struct Connection; // lives on the store thread
    QString path_;
    QThread thread_;
    QObject *context_;                       // on the store thread; tasks are queued calls on it
    std::unique_ptr<Connection> connection_; // touched only by tasks (store thread), then by the destructor
    std::atomic<bool> stopping_{false};
    std::atomic<int> pending_{0};
};

} // namespace lwb::ui
