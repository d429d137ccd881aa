// See job_queue_view.h.
#include "ui/job_queue_view.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace lwb::ui {

namespace {

QString stateText(JobController::State state)
{
    switch (state) {
    case JobController::State::Running: return QObject::tr("running");
    case JobController::State::Paused: return QObject::tr("paused");
    case JobController::State::Stopping: return QObject::tr("stopping");
    case JobController::State::Idle: break;
    }
    return {};
}

} // namespace

JobQueueView::JobQueueView(JobController *jobs, QWidget *parent)
    : QWidget(parent)
    , jobs_(jobs)
    , table_(new QTableWidget(0, ColumnCount))
    , pause_(new QPushButton(tr("Pause")))
    , cancel_(new QPushButton(tr("Cancel")))
    , remove_(new QPushButton(tr("Remove from queue")))
    , clear_(new QPushButton(tr("Clear ended")))
{
    setObjectName(QStringLiteral("jobQueue"));
    table_->setObjectName(QStringLiteral("jobTable"));
    table_->setHorizontalHeaderLabels({tr("Job"), tr("Name"), tr("Device"), tr("Status"), tr("Progress"), tr("Message")});
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    pause_->setObjectName(QStringLiteral("pauseJobButton"));
    pause_->setToolTip(tr("Pause the running job after its current step; Resume continues it exactly."));
    cancel_->setObjectName(QStringLiteral("cancelJobButton"));
    remove_->setObjectName(QStringLiteral("removeQueuedButton"));
    clear_->setObjectName(QStringLiteral("clearEndedButton"));

    auto *buttons = new QHBoxLayout;
    for (QPushButton *button : {pause_, cancel_, remove_, clear_})
        buttons->addWidget(button);
    buttons->addStretch();
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(buttons);
    layout->addWidget(table_);

    connect(pause_, &QPushButton::clicked, this, [this] {
        if (jobs_->state() == JobController::State::Paused)
            jobs_->resume();
        else
            jobs_->pause();
    });
    connect(cancel_, &QPushButton::clicked, jobs_, &JobController::cancel);
    connect(remove_, &QPushButton::clicked, this, [this] {
        if (const qint64 id = selectedQueuedId(); id != 0)
            jobs_->removeQueued(id);
    });
    connect(clear_, &QPushButton::clicked, this, [this] {
        ended_.clear();
        rebuild();
    });
    connect(table_, &QTableWidget::itemSelectionChanged, this, &JobQueueView::updateButtons);
    connect(jobs_, &JobController::jobStarted, this, &JobQueueView::onJobStarted);
    connect(jobs_, &JobController::stepsReady, this, &JobQueueView::onSteps);
    connect(jobs_, &JobController::jobFinished, this, &JobQueueView::onFinished);
    connect(jobs_, &JobController::queueChanged, this, &JobQueueView::rebuild);
    connect(jobs_, &JobController::stateChanged, this, [this](JobController::State state) {
        if (running_ && state != JobController::State::Idle)
            running_->status = stateText(state);
        rebuild();
    });
    rebuild();
}

void JobQueueView::onJobStarted(const lwb::RunConfig &config)
{
    running_ = JobRow{jobs_->runningJobId(), QString::fromStdString(config.name), QString::fromStdString(config.device),
                      stateText(JobController::State::Running), tr("0 / %1").arg(config.training.steps), {}};
    rebuild();
}

void JobQueueView::onSteps(const StepBatch &steps)
{
    if (!running_ || steps.isEmpty())
        return;
    const auto &last = steps.back();
    running_->progress = tr("%1 / %2").arg(last.step).arg(last.totalSteps);
    // Only the progress cell changes: no rebuild per batch.
    for (int row = 0; row < table_->rowCount(); ++row) {
        if (table_->item(row, IdColumn)->text().toLongLong() == running_->id)
            table_->item(row, ProgressColumn)->setText(running_->progress);
    }
}

void JobQueueView::onFinished(lwb::RunOutcome outcome, const QString &message)
{
    if (!running_)
        return;
    JobRow ended = *running_;
    ended.status = QString::fromLatin1(lwb::toString(outcome));
    ended.message = message;
    ended_.prepend(ended);
    running_.reset();
    rebuild();
}

QString JobQueueView::statusOf(qint64 jobId) const
{
    for (int row = 0; row < table_->rowCount(); ++row) {
        if (table_->item(row, IdColumn)->text().toLongLong() == jobId)
            return table_->item(row, StatusColumn)->text();
    }
    return {};
}

void JobQueueView::rebuild()
{
    const qint64 selected = selectedQueuedId();
    QList<JobRow> rows;
    if (running_)
        rows << *running_;
    for (const auto &queued : jobs_->queuedJobs())
        rows << JobRow{queued.id, QString::fromStdString(queued.config.name), QString::fromStdString(queued.config.device),
                       tr("queued"), tr("0 / %1").arg(queued.config.training.steps), {}};
    rows << ended_;
    const QSignalBlocker blocker(table_);
    table_->setRowCount(int(rows.size()));
    for (int row = 0; row < rows.size(); ++row) {
        const JobRow &job = rows[row];
        const QStringList cells{QString::number(job.id), job.name, job.device, job.status, job.progress, job.message};
        for (int column = 0; column < ColumnCount; ++column) {
            auto *item = new QTableWidgetItem(cells[column]);
            if (column == MessageColumn)
                item->setToolTip(job.message);
            if (job.status == QLatin1String("failed"))
                item->setForeground(QColor(200, 30, 30));
            table_->setItem(row, column, item);
        }
        if (job.id == selected)
            table_->selectRow(row);
    }
    table_->resizeColumnsToContents();
    updateButtons();
}

qint64 JobQueueView::selectedQueuedId() const
{
    const auto rows = table_->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return 0;
    const qint64 id = table_->item(rows.front().row(), IdColumn)->text().toLongLong();
    for (const auto &queued : jobs_->queuedJobs())
        if (queued.id == id)
            return id;
    return 0;
}

void JobQueueView::updateButtons()
{
    const auto state = jobs_->state();
    pause_->setEnabled(state == JobController::State::Running || state == JobController::State::Paused);
    pause_->setText(state == JobController::State::Paused ? tr("Resume") : tr("Pause"));
    cancel_->setEnabled(state == JobController::State::Running || state == JobController::State::Paused);
    remove_->setEnabled(selectedQueuedId() != 0);
    clear_->setEnabled(!ended_.isEmpty());
}

} // namespace lwb::ui
