// JobQueueView: the jobs of this session in one list — the running job (its
// state and progress), the queued ones in start order, and the ended ones
// (finished, cancelled, failed with the error) — with Pause/Resume, Cancel,
// Remove from queue and Clear ended. Ended jobs stay until cleared, so a
// failure is not lost when the next job starts.
#pragma once

#include "ui/engine_metatypes.h"
#include "ui/job_controller.h"

#include <QWidget>

#include <optional>

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
    // The status text shown for a job id ("running", "queued", "failed", ...); "" when absent.
    QString statusOf(qint64 jobId) const;

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

    void onJobStarted(const lwb::RunConfig &config);
    void onSteps(const StepBatch &steps);
    void onFinished(lwb::RunOutcome outcome, const QString &message);
    void rebuild();
    void updateButtons();
    qint64 selectedQueuedId() const;

    JobController *jobs_;
    QTableWidget *table_;
    QPushButton *pause_;
    QPushButton *cancel_;
    QPushButton *remove_;
    QPushButton *clear_;
    std::optional<JobRow> running_;
    QList<JobRow> ended_; // newest first
};

} // namespace lwb::ui
