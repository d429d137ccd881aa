// See window_screenshot.h.
#include "ui/window_screenshot.h"

#include "ui/job_controller.h"
#include "ui/store_worker.h"

#include <QDialog>
#include <QPainter>
#include <QPixmap>
#include <QTimer>
#include <QWidget>

#include <algorithm>
#include <cstdio>

namespace lwb::ui {

namespace {

constexpr int kSettleMs = 250; // several plot frames at ~30 Hz
constexpr int kFrameMs = 50;   // one frame (and its queued replots) after the store's last read

} // namespace

WindowScreenshot::WindowScreenshot(QWidget *window, JobController *jobs, QString path, std::int64_t atStep,
                                   bool closeAfter, QObject *parent)
    : QObject(parent)
    , window_(window)
    , jobs_(jobs)
    , path_(std::move(path))
    , atStep_(atStep)
    , closeAfter_(closeAfter)
{
    if (jobs == nullptr)
        return;
    connect(jobs, &JobController::stepsReady, this, &WindowScreenshot::onSteps);
    // A job that ends before the step (short run, cancel) still gets its picture.
    connect(jobs, &JobController::jobFinished, this, &WindowScreenshot::schedule);
}

void WindowScreenshot::onSteps(qint64, const StepBatch &steps)
{
    if (steps.isEmpty() || steps.back().step < atStep_)
        return;
    schedule();
}

void WindowScreenshot::takeSoon()
{
    schedule();
}

void WindowScreenshot::schedule()
{
    if (scheduled_)
        return;
    scheduled_ = true;
    sinceTrigger_.start();
    QTimer::singleShot(kSettleMs, this, &WindowScreenshot::takeWhenStoreIdle);
}

int WindowScreenshot::pendingStoreTasks() const
{
    int pending = 0;
    if (window_)
        for (const auto *store : window_->findChildren<StoreWorker *>())
            pending += store->pendingTasks();
    return pending;
}

// Called after the settle, on each store's idle signal, after the frame that
// follows, and at the cap: takes the picture once the stores have stayed idle
// for a frame, or once the cap has passed.
void WindowScreenshot::takeWhenStoreIdle()
{
    if (taken_ || !window_)
        return;
    const int pending = pendingStoreTasks();
    const qint64 waited = sinceTrigger_.elapsed();
    if (pending > 0 && waited >= maxStoreWaitMs_) {
        std::fprintf(stderr,
                     "lora-workbench: warning: the run store still had %d task(s) pending after %.1f s; taking the "
                     "screenshot anyway\n",
                     pending, double(waited) / 1000.0);
        take();
        return;
    }
    if (pending > 0) {
        if (!waiting_) {
            waiting_ = true;
            for (auto *store : window_->findChildren<StoreWorker *>())
                connect(store, &StoreWorker::idle, this, &WindowScreenshot::takeWhenStoreIdle);
            QTimer::singleShot(int(std::max<qint64>(0, maxStoreWaitMs_ - waited)), this,
                               &WindowScreenshot::takeWhenStoreIdle);
            Q_EMIT waitingForStore(pending);
        }
        return;
    }
    // Idle: one frame for the views to draw what the last reads brought, then
    // the picture, unless a view asked for another read meanwhile.
    QTimer::singleShot(kFrameMs, this, [this] {
        if (taken_)
            return;
        if (pendingStoreTasks() == 0 || sinceTrigger_.elapsed() >= maxStoreWaitMs_)
            take();
        else
            takeWhenStoreIdle();
    });
}

void WindowScreenshot::take()
{
    if (taken_ || !window_)
        return;
    taken_ = true;
    // The window, and any dialog open over it where it stands on screen (a
    // grab of the window alone would leave the dialog out).
    QPixmap picture = window_->grab();
    QPainter painter(&picture);
    for (auto *dialog : window_->findChildren<QDialog *>()) {
        if (dialog->isVisible())
            painter.drawPixmap(window_->mapFromGlobal(dialog->frameGeometry().topLeft()), dialog->grab());
    }
    painter.end();
    const bool ok = picture.save(path_);
    std::fprintf(stderr, "lora-workbench: %s %s\n", ok ? "saved screenshot" : "could not save screenshot",
                 qPrintable(path_));
    Q_EMIT saved(path_, ok);
    if (closeAfter_) {
        if (jobs_)
            jobs_->stopAll(); // asked by the command line: the window closes without its question
        window_->close();
    }
}

} // namespace lwb::ui
