// See job_status_bar.h.
#include "ui/job_status_bar.h"

#include <QLabel>
#include <QLocale>
#include <QProgressBar>

#include <climits>
#include <cmath>

namespace lwb::ui {

JobStatusBar::JobStatusBar(QWidget *parent)
    : QStatusBar(parent)
    , state_(new QLabel(tr("Ready"), this))
    , progress_(new QProgressBar(this))
    , eta_(new QLabel(this))
    , others_(new QLabel(this))
    , database_(new QLabel(this))
{
    state_->setObjectName(QStringLiteral("jobState"));
    progress_->setObjectName(QStringLiteral("jobProgress"));
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("%v / %m steps"));
    progress_->setMinimumWidth(220);
    progress_->setMaximumWidth(320);
    progress_->hide(); // until the first job
    eta_->setObjectName(QStringLiteral("jobEta"));
    others_->setObjectName(QStringLiteral("otherJobs"));
    others_->setToolTip(tr("Jobs training on other devices; the Jobs dock lists them and shows one when selected."));
    others_->hide();
    database_->setObjectName(QStringLiteral("databasePath"));
    database_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    addWidget(state_);
    addWidget(progress_);
    addWidget(eta_, 1);
    addPermanentWidget(others_);
    addPermanentWidget(database_);
}

void JobStatusBar::setDatabase(const QString &path, bool ok, const QString &problem)
{
    if (ok) {
        database_->setText(tr("Run store: %1").arg(path));
        database_->setToolTip(tr("Every run started here is recorded in this SQLite file "
                                 "(LWB_DB or the --db option choose another)."));
        database_->setStyleSheet(QString());
    } else {
        database_->setText(tr("Run store unavailable: runs are not recorded"));
        database_->setToolTip(problem);
        database_->setStyleSheet(QStringLiteral("color: #d62728;"));
    }
}

void JobStatusBar::jobStarted(const QString &name, std::int64_t totalSteps)
{
    jobName_ = name;
    firstStep_ = -1;
    clearMessage();
    state_->setStyleSheet(QString());
    state_->setText(tr("Preparing %1…").arg(name));
    progress_->setRange(0, static_cast<int>(std::min<std::int64_t>(totalSteps, INT_MAX)));
    progress_->setValue(0);
    progress_->show();
    eta_->setText(tr("ETA: measuring…"));
}

void JobStatusBar::stopping()
{
    state_->setText(tr("Stopping %1 after this step…").arg(jobName_));
}

void JobStatusBar::updateSteps(const StepBatch &steps)
{
    if (steps.isEmpty())
        return;
    const auto &last = steps.back();
    if (firstStep_ < 0) {
        firstStep_ = steps.front().step;
        firstWallSeconds_ = steps.front().wallSeconds;
        firstTokens_ = steps.front().tokens;
        state_->setText(tr("Training %1").arg(jobName_));
    }
    progress_->setMaximum(static_cast<int>(std::min<std::int64_t>(last.totalSteps, INT_MAX)));
    progress_->setValue(static_cast<int>(std::min<std::int64_t>(last.step, INT_MAX)));

    // Means over the job so far: a single step's figures jump with the load.
    QString eta = tr("ETA: measuring…");
    double tokensPerSecond = last.tokensPerSecond;
    const auto stepsSeen = last.step - firstStep_;
    const double seconds = last.wallSeconds - firstWallSeconds_;
    if (stepsSeen > 0 && seconds > 0) {
        const double perStep = seconds / static_cast<double>(stepsSeen);
        eta = tr("ETA %1").arg(formatDuration(perStep * static_cast<double>(last.totalSteps - last.step)));
        tokensPerSecond = static_cast<double>(last.tokens - firstTokens_) / seconds;
    }
    const QLocale locale;
    eta_->setText(tr("%1 · %2 tokens/s · loss %3")
                      .arg(eta, locale.toString(tokensPerSecond, 'f', 0), locale.toString(last.loss, 'f', 4)));
}

void JobStatusBar::updateStage(const QString &stage, std::int64_t done, std::int64_t total)
{
    state_->setText(tr("%1: %2").arg(jobName_, stage));
    progress_->setMaximum(static_cast<int>(std::min<std::int64_t>(total, INT_MAX)));
    progress_->setValue(static_cast<int>(std::min<std::int64_t>(done, INT_MAX)));
    eta_->setText(tr("%1 of %2").arg(done).arg(total));
}

void JobStatusBar::jobFinished(lwb::RunOutcome outcome, const QString &message)
{
    switch (outcome) {
    case lwb::RunOutcome::Finished:
        state_->setText(tr("%1 finished").arg(jobName_));
        break;
    case lwb::RunOutcome::Cancelled:
        state_->setText(tr("%1 cancelled").arg(jobName_));
        break;
    case lwb::RunOutcome::Failed:
        state_->setText(tr("%1 failed").arg(jobName_));
        break;
    }
    state_->setStyleSheet(outcome == lwb::RunOutcome::Failed ? QStringLiteral("color: #d62728;") : QString());
    // The outcome stays until the next job: a result should not vanish.
    eta_->setText(message);
    eta_->setToolTip(message);
}

void JobStatusBar::setOtherJobsRunning(int count)
{
    others_->setText(tr("+%n other job(s) running", nullptr, count));
    others_->setVisible(count > 0);
}

QString JobStatusBar::formatDuration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("—");
    const auto total = static_cast<long long>(std::llround(seconds));
    const long long hours = total / 3600;
    const long long minutes = (total / 60) % 60;
    const long long secs = total % 60;
    if (hours > 0)
        return QStringLiteral("%1:%2:%3")
            .arg(hours)
            .arg(minutes, 2, 10, QLatin1Char('0'))
            .arg(secs, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(minutes).arg(secs, 2, 10, QLatin1Char('0'));
}

} // namespace lwb::ui
