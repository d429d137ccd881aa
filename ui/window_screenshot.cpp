// See window_screenshot.h.
#include "ui/window_screenshot.h"

#include "ui/job_controller.h"

#include <QDialog>
#include <QPainter>
#include <QPixmap>
#include <QTimer>
#include <QWidget>

#include <cstdio>

namespace lwb::ui {

namespace {

constexpr int kSettleMs = 250; // several plot frames at ~30 Hz

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
    connect(jobs, &JobController::stepsReady, this, &WindowScreenshot::onSteps);
    // A job that ends before the step (short run, cancel) still gets its picture.
    connect(jobs, &JobController::jobFinished, this, [this] {
        if (!scheduled_) {
            scheduled_ = true;
            QTimer::singleShot(kSettleMs, this, &WindowScreenshot::take);
        }
    });
}

void WindowScreenshot::onSteps(qint64, const StepBatch &steps)
{
    if (scheduled_ || steps.isEmpty() || steps.back().step < atStep_)
        return;
    scheduled_ = true;
    QTimer::singleShot(kSettleMs, this, &WindowScreenshot::take);
}

void WindowScreenshot::takeSoon()
{
    if (scheduled_)
        return;
    scheduled_ = true;
    QTimer::singleShot(kSettleMs, this, &WindowScreenshot::take);
}

void WindowScreenshot::take()
{
    if (!window_)
        return;
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
