// LiveDashboard: which job the live views show, and the feeding of them.
//
// Several jobs may run at once (one per device, see JobController), but the
// Live tab (loss plot, training metrics), the Routing dock, the DLP-LoRA tab
// and the status bar show one job: the one chosen (showJob: a row selected
// in the Jobs dock, a job the person just started), else the most recently
// started. A job that starts becomes the shown one unless a chosen job
// still runs, so a queued job starting by itself never takes the views from
// the job someone is watching. Reports of the other jobs never reach the
// views; every job's reports are kept in its JobTrace instead, so showing
// another job rebuilds the views from what that job reported so far, and
// they follow it from then on. A shown job that ends stays shown with its
// final curves until another is shown. The status bar also counts the jobs
// running besides the shown one.
//
// A data-parallel job (several ranks) also feeds the RankThroughputView:
// its rank count and backend, and each rank's tokens/s per step batch.
//
// The DLP-LoRA tab is only touched for a study; showing a plain run leaves
// whatever it shows (a study read from the run store) alone.
#pragma once

#include "engine/config/run_config.h"
#include "ui/engine_metatypes.h"
#include "ui/job_trace.h"

#include <QObject>

#include <map>

namespace lwb::ui {

class DlpView;
class JobController;
class JobStatusBar;
class LossPlot;
class RankThroughputView;
class RoutingView;
class TrainingMetricsView;

// The views the dashboard feeds; they belong to the window.
struct LiveViews
{
    LossPlot *plot = nullptr;
    TrainingMetricsView *metrics = nullptr;
    RoutingView *routing = nullptr;
    DlpView *dlp = nullptr;
    JobStatusBar *status = nullptr;
    RankThroughputView *ranks = nullptr; // optional: shown for data-parallel jobs
};

class LiveDashboard : public QObject
{
    Q_OBJECT

public:
    LiveDashboard(JobController *jobs, LiveViews views, QObject *parent = nullptr);

    // The job the views show; 0 before the first job.
    qint64 shownJobId() const { return shown_; }
    // Shows a job of this session (running or ended, not forgotten) as
    // chosen: it stays shown while it runs, whatever starts meanwhile. False
    // when nothing of it is kept (a queued job, an unknown id).
    bool showJob(qint64 jobId);
    const JobTrace *trace(qint64 jobId) const;
    // The shown job is a DLP-LoRA study that still runs.
    bool showsRunningStudy() const;
    // Drops the traces of ended jobs (the Jobs dock's Clear ended); the
    // shown job's trace stays while it is shown.
    void forget(const QList<qint64> &jobIds);

Q_SIGNALS:
    void shownJobChanged(qint64 jobId);

private:
    void onJobStarted(qint64 jobId, const lwb::RunConfig &config);
    void onRunStarted(qint64 jobId, qint64 storeRunId);
    void onSteps(qint64 jobId, const StepBatch &steps);
    void onEvaluated(qint64 jobId, const lwb::EvalMetrics &metrics);
    void onProgress(qint64 jobId, const lwb::DlpStudyProgress &progress);
    void onFinished(qint64 jobId, lwb::RunOutcome outcome, const QString &message);
    void onRanksJoined(qint64 jobId, const QString &backend);
    JobTrace *traceOf(qint64 jobId);
    // Rebuilds the views from a job's trace; they follow the job from now on.
    void display(qint64 jobId);
    void countOtherJobs();

    // What reaches the views; showing a job replays its trace through these.
    void resetViews(const JobTrace &trace);
    void feedSteps(const StepBatch &steps);
    void feedEvaluation(const lwb::EvalMetrics &metrics);
    void feedProgress(const lwb::DlpStudyProgress &progress);
    void feedEnd(const JobTrace &trace);

    JobController *jobs_;
    LiveViews views_;
    std::map<qint64, JobTrace> traces_;
    struct JobRankInfo
    {
        int ranks = 1;
        QString backend; // "" until the ranks have met
    };
    std::map<qint64, JobRankInfo> rankInfo_; // beside traces_, same keys
    qint64 shown_ = 0;
    bool chosen_ = false; // shown_ was chosen, not followed as the newest job
};

} // namespace lwb::ui
