// WindowScreenshot: saves a picture of a window once the running job has
// reached a given step — how resources/screenshots is made reproducibly
// (`lora-workbench --start --screenshot FILE --screenshot-step N` under Xvfb).
//
// It waits for the step, then for a little more than one plot refresh so the
// curve on the picture includes that step, grabs the window (QWidget::grab,
// the widgets as drawn, no window-manager frame) and saves it; then, if asked,
// closes the window, which stops the job cleanly. takeSoon() is for views
// without a job (the run browser, the compare view).
#pragma once

#include "ui/engine_metatypes.h"

#include <QObject>
#include <QPointer>
#include <QString>

class QWidget;

namespace lwb::ui {

class JobController;

class WindowScreenshot : public QObject
{
    Q_OBJECT

public:
    WindowScreenshot(QWidget *window, JobController *jobs, QString path, std::int64_t atStep, bool closeAfter,
                     QObject *parent = nullptr);

    // Without a job: the picture of the window as it is, once it has settled.
    void takeSoon();

Q_SIGNALS:
    void saved(const QString &path, bool ok);

private:
    void onSteps(qint64 jobId, const StepBatch &steps); // any job: the app starts one (--start)
    void take();

    QPointer<QWidget> window_;
    QPointer<JobController> jobs_;
    QString path_;
    std::int64_t atStep_;
    bool closeAfter_;
    bool scheduled_ = false;
};

} // namespace lwb::ui
