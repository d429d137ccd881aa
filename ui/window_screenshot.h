// WindowScreenshot: saves a picture of a window once the running job has
// reached a given step — how resources/screenshots is made reproducibly
// (`lora-workbench --start --screenshot FILE --screenshot-step N` under Xvfb).
//
// It waits for the step, then for a little more than one plot refresh so the
// curve on the picture includes that step, then until the window's run store
// thread (every StoreWorker among the window's children) has no task pending —
// a large compare is still "Reading…" after any fixed delay — then one more
// frame so the views draw what the reads brought, grabs the window
// (QWidget::grab, the widgets as drawn, no window-manager frame) and saves it;
// then, if asked, closes the window, which stops the job cleanly. A store that
// stays busy past a cap (30 s) gets its picture anyway, with a warning on
// stderr. takeSoon() is for views without a job (the run browser, the compare
// view).
#pragma once

#include "ui/engine_metatypes.h"

#include <QElapsedTimer>
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
    // jobs may be null (no job to wait for: takeSoon()).
    WindowScreenshot(QWidget *window, JobController *jobs, QString path, std::int64_t atStep, bool closeAfter,
                     QObject *parent = nullptr);

    // Without a job: the picture of the window as it is, once it has settled.
    void takeSoon();
    // How long to wait for the store thread before taking the picture anyway
    // (30 s unless set; tests shorten it).
    void setMaxStoreWaitMs(int milliseconds) { maxStoreWaitMs_ = milliseconds; }

Q_SIGNALS:
    void saved(const QString &path, bool ok);
    // The picture waits for store tasks still pending (once per wait).
    void waitingForStore(int pendingTasks);

private:
    void onSteps(qint64 jobId, const StepBatch &steps); // any job: the app starts one (--start)
    void schedule();
    void takeWhenStoreIdle();
    int pendingStoreTasks() const;
    void take();

    QPointer<QWidget> window_;
    QPointer<JobController> jobs_;
    QString path_;
    std::int64_t atStep_;
    bool closeAfter_;
    bool scheduled_ = false;
    bool taken_ = false;
    bool waiting_ = false; // connected to the stores' idle signals, or the cap timer is set
    int maxStoreWaitMs_ = 30000;
    QElapsedTimer sinceTrigger_;
};

} // namespace lwb::ui
