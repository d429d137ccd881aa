// JobQueueView: the jobs of this session in one list — the running jobs
// (one per device, each with its device, state and progress), the queued
// ones in start order, and the ended ones (finished, cancelled, failed with
// the error) — with Pause/Resume, Cancel, Remove from queue and Clear ended.
// Ended jobs stay until cleared, so a failure is not lost when the next job
// starts.
//
// The job the live views show is in bold; Pause/Resume and Cancel act on it.
// Selecting a running or ended job's row asks to show that job (jobChosen);
// selecting a queued one only offers Remove.
#pragma once

#include "ui/engine_metatypes.h"
#include "ui/job_controller.h"

#include <QWidget>

#include <map>

class QPushButton;
class QTableWidget;

namespace lwb::ui {

class JobQueueView : public QWidget
{
    Q_OBJECT

public:
    enum Column { IdColumn, NameColumn, DeviceColumn, StatusColumn, ProgressColumn, MessageColumn, ColumnCount };

    explicit JobQueueView(JobController *jobs, QWidget *parent = nullptr);

    QTableWidget *table() const { return table_; }
    QPushButton *pauseButton() const { return pause_; }
    QPushButton *cancelButton() const { return cancel_; }
    QPushButton *removeButton() const { return remove_; }
    QPushButton *clearButton() const { return clear_; }
    // The status text shown for a job id ("running", "queued", "failed", ...); "" when absent.
    QString statusOf(qint64 jobId) const;
    // The row of a job id; -1 when absent.
    int rowOf(qint64 jobId) const;
    // The job the live views show (bold, selected; the buttons act on it).
    void setShownJob(qint64 jobId);
    qint64 shownJobId() const { return shown_; }

Q_SIGNALS:
    // A running or ended job's row was selected: show that job.
    void jobChosen(qint64 jobId);
    // Clear ended removed these jobs' rows.
    void endedCleared(const QList<qint64> &jobIds);

private:
    struct JobRow
    {
        qint64 id = 0;
        QString name;
        QString device;
        QString status;
        QString progress;
        QString message;
    };

    void onJobStarted(qint64 jobId, const lwb::RunConfig &config);
    void onSteps(qint64 jobId, const StepBatch &steps);
    void onStateChanged(qint64 jobId, JobController::State state);
    void onFinished(qint64 jobId, lwb::RunOutcome outcome, const QString &message);
    void onSelectionChanged();
    void rebuild();
    void updateButtons();
    qint64 selectedId() const;
    bool isQueued(qint64 jobId) const;

    JobController *jobs_;
    QTableWidget *table_;
    QPushButton *pause_;
    QPushButton *cancel_;
    QPushButton *remove_;
    QPushButton *clear_;
    std::map<qint64, JobRow> running_; // by id, so oldest first
    QList<JobRow> ended_;              // newest first
    qint64 shown_ = 0;
};

} // namespace lwb::ui
