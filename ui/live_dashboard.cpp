// See live_dashboard.h.
#include "ui/live_dashboard.h"

#include "ui/dlp_view.h"
#include "ui/job_controller.h"
#include "ui/job_status_bar.h"
#include "ui/loss_plot.h"
#include "ui/rank_throughput_view.h"
#include "ui/routing_view.h"
#include "ui/training_metrics_view.h"

#include <algorithm>

namespace lwb::ui {

LiveDashboard::LiveDashboard(JobController *jobs, LiveViews views, QObject *parent)
    : QObject(parent)
    , jobs_(jobs)
    , views_(views)
{
    connect(jobs_, &JobController::jobStarted, this, &LiveDashboard::onJobStarted);
    connect(jobs_, &JobController::runStarted, this,
            [this](qint64 jobId, const lwb::RunInfo &, qint64 storeRunId) { onRunStarted(jobId, storeRunId); });
    connect(jobs_, &JobController::stepsReady, this, &LiveDashboard::onSteps);
    connect(jobs_, &JobController::evaluated, this, &LiveDashboard::onEvaluated);
    connect(jobs_, &JobController::dlpProgress, this, &LiveDashboard::onProgress);
    connect(jobs_, &JobController::jobFinished, this, &LiveDashboard::onFinished);
    connect(jobs_, &JobController::ranksJoined, this,
            [this](qint64 jobId, int, const QString &backend) { onRanksJoined(jobId, backend); });
    connect(jobs_, &JobController::stateChanged, this, [this](qint64 jobId, JobController::State state) {
        if (jobId == shown_ && state == JobController::State::Stopping)
            views_.status->stopping();
        if (state == JobController::State::Idle) // a job ended
            countOtherJobs();
    });
}

const JobTrace *LiveDashboard::trace(qint64 jobId) const
{
    const auto found = traces_.find(jobId);
    return found == traces_.end() ? nullptr : &found->second;
}

JobTrace *LiveDashboard::traceOf(qint64 jobId)
{
    const auto found = traces_.find(jobId);
    return found == traces_.end() ? nullptr : &found->second;
}

bool LiveDashboard::showsRunningStudy() const
{
    const JobTrace *shown = trace(shown_);
    return shown && shown->isStudy() && !shown->outcome();
}

bool LiveDashboard::showJob(qint64 jobId)
{
    if (!trace(jobId))
        return false;
    chosen_ = true;
    if (jobId != shown_)
        display(jobId);
    return true;
}

void LiveDashboard::display(qint64 jobId)
{
    const JobTrace &shown = traces_.at(jobId);
    shown_ = jobId;
    resetViews(shown);
    feedSteps(shown.steps());
    for (const auto &stage : shown.stages())
        feedProgress(stage);
    for (const auto &evaluation : shown.evaluations())
        feedEvaluation(evaluation);
    if (shown.outcome())
        feedEnd(shown);
    else if (jobs_->state(jobId) == JobController::State::Stopping)
        views_.status->stopping();
    countOtherJobs();
    Q_EMIT shownJobChanged(jobId);
}

void LiveDashboard::countOtherJobs()
{
    const auto running = jobs_->runningJobIds();
    views_.status->setOtherJobsRunning(static_cast<int>(running.size() - (running.contains(shown_) ? 1 : 0)));
}

void LiveDashboard::forget(const QList<qint64> &jobIds)
{
    for (const qint64 id : jobIds) {
        const auto found = traces_.find(id);
        if (found != traces_.end() && id != shown_ && found->second.outcome()) {
            traces_.erase(found);
            rankInfo_.erase(id);
        }
    }
}

void LiveDashboard::onJobStarted(qint64 jobId, const lwb::RunConfig &config)
{
    traces_.insert_or_assign(jobId, JobTrace(config));
    rankInfo_.insert_or_assign(jobId, JobRankInfo{std::max(1, jobs_->ranks(jobId)), {}});
    if (chosen_ && jobs_->state(shown_) != JobController::State::Idle) {
        countOtherJobs(); // the chosen job keeps the views
        return;
    }
    chosen_ = false;
    display(jobId);
}

void LiveDashboard::onRunStarted(qint64 jobId, qint64 storeRunId)
{
    JobTrace *job = traceOf(jobId);
    if (!job)
        return;
    job->setStoreRunId(storeRunId);
    if (jobId == shown_ && job->isStudy())
        views_.dlp->setRunId(storeRunId);
}

void LiveDashboard::onSteps(qint64 jobId, const StepBatch &steps)
{
    if (JobTrace *job = traceOf(jobId))
        job->addSteps(steps);
    if (jobId == shown_)
        feedSteps(steps);
}

void LiveDashboard::onEvaluated(qint64 jobId, const lwb::EvalMetrics &metrics)
{
    JobTrace *job = traceOf(jobId);
    if (!job)
        return;
    job->addEvaluation(metrics);
    if (jobId == shown_)
        feedEvaluation(metrics);
}

void LiveDashboard::onProgress(qint64 jobId, const lwb::DlpStudyProgress &progress)
{
    if (JobTrace *job = traceOf(jobId))
        job->addProgress(progress);
    if (jobId == shown_)
        feedProgress(progress);
}

void LiveDashboard::onFinished(qint64 jobId, lwb::RunOutcome outcome, const QString &message)
{
    JobTrace *job = traceOf(jobId);
    if (!job)
        return;
    job->setEnded(outcome, message);
    if (jobId == shown_)
        feedEnd(*job);
}

void LiveDashboard::onRanksJoined(qint64 jobId, const QString &backend)
{
    const auto found = rankInfo_.find(jobId);
    if (found == rankInfo_.end())
        return;
    found->second.backend = backend;
    if (jobId == shown_ && views_.ranks)
        views_.ranks->setBackend(backend);
}

void LiveDashboard::resetViews(const JobTrace &trace)
{
    const auto &config = trace.config();
    if (views_.ranks) {
        const auto found = rankInfo_.find(shown_);
        const JobRankInfo info = found == rankInfo_.end() ? JobRankInfo{} : found->second;
        views_.ranks->startJob(info.ranks, QString::fromStdString(config.device));
        if (!info.backend.isEmpty())
            views_.ranks->setBackend(info.backend);
    }
    if (trace.isStudy()) {
        views_.dlp->startStudy(config);
        views_.dlp->setRunId(trace.storeRunId());
    }
    views_.plot->startRun(config.training.steps);
    views_.metrics->startRun(config.training.steps);
    views_.routing->startRun(config.training.steps, QString::fromStdString(config.adapter.variant));
    views_.status->jobStarted(QString::fromStdString(config.name), config.training.steps);
}

void LiveDashboard::feedSteps(const StepBatch &steps)
{
    for (const auto &metrics : steps) {
        views_.plot->addTrainLoss(static_cast<double>(metrics.step), metrics.loss);
        views_.metrics->addStep(metrics);
        views_.routing->addStep(metrics);
    }
    views_.status->updateSteps(steps);
    if (views_.ranks)
        views_.ranks->addSteps(steps);
}

void LiveDashboard::feedEvaluation(const lwb::EvalMetrics &metrics)
{
    if (metrics.dlp)
        views_.dlp->addEvaluation(metrics); // a study computes exact matches, no loss
    else
        views_.plot->addEvalLoss(static_cast<double>(metrics.step), metrics.loss);
    views_.routing->addEval(metrics);
}

void LiveDashboard::feedProgress(const lwb::DlpStudyProgress &progress)
{
    views_.dlp->addProgress(progress);
    views_.status->updateStage(
        QString::fromStdString(progress.stage + (progress.detail.empty() ? "" : " " + progress.detail)), progress.done,
        progress.total);
}

void LiveDashboard::feedEnd(const JobTrace &trace)
{
    if (trace.isStudy())
        views_.dlp->studyFinished(*trace.outcome());
    views_.status->jobFinished(*trace.outcome(), trace.message());
}

} // namespace lwb::ui
