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
    case JobController::State::Running:
        return QObject::tr("running");
    case JobController::State::Paused:
        return QObject::tr("paused");
    case JobController::State::Stopping:
        return QObject::tr("stopping");
    case JobController::State::Idle:
        break;
    }
    return {};
}

// The device column: "cpu", or "cpu ×2" for a job of two ranks.
QString deviceText(const lwb::RunConfig &config, int ranks)
{
    const auto device = QString::fromStdString(config.device);
    return ranks > 1 ? QStringLiteral("%1 \u00d7%2").arg(device).arg(ranks) : device;
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
    table_->setHorizontalHeaderLabels(
        {tr("Job"), tr("Name"), tr("Device"), tr("Status"), tr("Progress"), tr("Message")});
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setToolTip(tr("One job runs per device at a time. Select a running or ended job to show it in the live "
                          "views (its row is bold)."));
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    pause_->setObjectName(QStringLiteral("pauseJobButton"));
    pause_->setToolTip(tr("Pause the shown job (bold) after its current step; Resume continues it exactly."));
    cancel_->setObjectName(QStringLiteral("cancelJobButton"));
    cancel_->setToolTip(tr("Stop the shown job (bold) after its current step; a checkpoint is written."));
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
        if (jobs_->state(shown_) == JobController::State::Paused)
            jobs_->resume(shown_);
        else
            jobs_->pause(shown_);
    });
    connect(cancel_, &QPushButton::clicked, this, [this] { jobs_->cancel(shown_); });
    connect(remove_, &QPushButton::clicked, this, [this] {
        if (const qint64 id = selectedId(); isQueued(id))
            jobs_->removeQueued(id);
    });
    connect(clear_, &QPushButton::clicked, this, [this] {
        QList<qint64> ids;
        for (const auto &job : ended_)
            ids << job.id;
        ended_.clear();
        rebuild();
        Q_EMIT endedCleared(ids);
    });
    connect(table_, &QTableWidget::itemSelectionChanged, this, &JobQueueView::onSelectionChanged);
    connect(jobs_, &JobController::jobStarted, this, &JobQueueView::onJobStarted);
    connect(jobs_, &JobController::stepsReady, this, &JobQueueView::onSteps);
    connect(jobs_, &JobController::jobFinished, this, &JobQueueView::onFinished);
    connect(jobs_, &JobController::queueChanged, this, &JobQueueView::rebuild);
    connect(jobs_, &JobController::stateChanged, this, &JobQueueView::onStateChanged);
    rebuild();
}

void JobQueueView::onJobStarted(qint64 jobId, const lwb::RunConfig &config)
{
    running_[jobId] = JobRow{jobId,
                             QString::fromStdString(config.name),
                             deviceText(config, jobs_->ranks(jobId)),
                             stateText(JobController::State::Running),
                             tr("0 / %1").arg(config.training.steps),
                             {}};
    rebuild();
}

void JobQueueView::onSteps(qint64 jobId, const StepBatch &steps)
{
    const auto found = running_.find(jobId);
    if (found == running_.end() || steps.isEmpty())
        return;
    const auto &last = steps.back();
    found->second.progress = tr("%1 / %2").arg(last.step).arg(last.totalSteps);
    // Only the progress cell changes: no rebuild per batch.
    if (const int row = rowOf(jobId); row >= 0)
        table_->item(row, ProgressColumn)->setText(found->second.progress);
}

void JobQueueView::onStateChanged(qint64 jobId, JobController::State state)
{
    const auto found = running_.find(jobId);
    if (found == running_.end() || state == JobController::State::Idle)
        return;
    found->second.status = stateText(state);
    rebuild();
}

void JobQueueView::onFinished(qint64 jobId, lwb::RunOutcome outcome, const QString &message)
{
    const auto found = running_.find(jobId);
    if (found == running_.end())
        return;
    JobRow ended = found->second;
    ended.status = QString::fromLatin1(lwb::toString(outcome));
    ended.message = message;
    ended_.prepend(ended);
    running_.erase(found);
    rebuild();
}

void JobQueueView::setShownJob(qint64 jobId)
{
    shown_ = jobId;
    rebuild();
    if (const int row = rowOf(jobId); row >= 0) {
        const QSignalBlocker blocker(table_);
        table_->selectRow(row);
    }
    updateButtons();
}

void JobQueueView::onSelectionChanged()
{
    const qint64 id = selectedId();
    if (id != 0 && !isQueued(id))
        Q_EMIT jobChosen(id); // the shown job too: choosing it keeps it in view
    updateButtons();
}

QString JobQueueView::statusOf(qint64 jobId) const
{
    const int row = rowOf(jobId);
    return row < 0 ? QString() : table_->item(row, StatusColumn)->text();
}

int JobQueueView::rowOf(qint64 jobId) const
{
    for (int row = 0; row < table_->rowCount(); ++row) {
        if (table_->item(row, IdColumn)->text().toLongLong() == jobId)
            return row;
    }
    return -1;
}

void JobQueueView::rebuild()
{
    const qint64 selected = selectedId();
    QList<JobRow> rows;
    for (const auto &[id, job] : running_)
        rows << job;
    for (const auto &queued : jobs_->queuedJobs())
        rows << JobRow{
            queued.id,    QString::fromStdString(queued.config.name),     deviceText(queued.config, queued.ranks),
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
            if (job.id == shown_) {
                QFont font = item->font();
                font.setBold(true);
                item->setFont(font);
            }
            table_->setItem(row, column, item);
        }
        if (job.id == selected)
            table_->selectRow(row);
    }
    table_->resizeColumnsToContents();
    updateButtons();
}

qint64 JobQueueView::selectedId() const
{
    const auto rows = table_->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return 0;
    return table_->item(rows.front().row(), IdColumn)->text().toLongLong();
}

bool JobQueueView::isQueued(qint64 jobId) const
{
    for (const auto &queued : jobs_->queuedJobs())
        if (queued.id == jobId)
            return true;
    return false;
}

void JobQueueView::updateButtons()
{
    const auto state = jobs_->state(shown_);
    const bool active = state == JobController::State::Running || state == JobController::State::Paused;
    // A data-parallel job cannot pause (its other ranks would time out in a collective).
    pause_->setEnabled(state == JobController::State::Paused || jobs_->canPause(shown_));
    pause_->setText(state == JobController::State::Paused ? tr("Resume") : tr("Pause"));
    cancel_->setEnabled(active);
    remove_->setEnabled(isQueued(selectedId()));
    clear_->setEnabled(!ended_.isEmpty());
}

} // namespace lwb::ui
