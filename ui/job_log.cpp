// See job_log.h.
#include "ui/job_log.h"

#include <QLocale>
#include <QTime>

namespace lwb::ui {

JobLog::JobLog(QWidget *parent)
    : QPlainTextEdit(parent)
{
    setObjectName(QStringLiteral("jobLog"));
    setReadOnly(true);
    setMaximumBlockCount(kMaxLines);
    setLineWrapMode(QPlainTextEdit::WidgetWidth);
    setPlaceholderText(tr("Events of the running job appear here."));
}

void JobLog::appendLine(const QString &html)
{
    appendHtml(QStringLiteral("<span style='color:gray'>%1</span>&nbsp; %2")
                   .arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")), html));
}

QString JobLog::jobTag(qint64 jobId)
{
    return tr("[job %1] ").arg(jobId);
}

void JobLog::info(const QString &message)
{
    appendLine(message.toHtmlEscaped());
}

void JobLog::warning(const QString &message)
{
    appendLine(
        QStringLiteral("<span style='color:#b8860b'><b>%1</b> %2</span>").arg(tr("Warning:"), message.toHtmlEscaped()));
}

void JobLog::error(const QString &message)
{
    appendLine(
        QStringLiteral("<span style='color:#d62728'><b>%1</b> %2</span>").arg(tr("Error:"), message.toHtmlEscaped()));
}

void JobLog::jobStarted(qint64 jobId, const lwb::RunConfig &config)
{
    info(jobTag(jobId)
         + tr("Starting %1 on %2: %3 r=%4 alpha=%5, base %6, %7 steps, batch %8 × %9, lr %10")
               .arg(QString::fromStdString(config.name), QString::fromStdString(config.device),
                    QString::fromStdString(config.adapter.variant))
               .arg(config.adapter.rank)
               .arg(config.adapter.alpha)
               .arg(QString::fromStdString(config.model.path.empty() ? config.model.preset : config.model.path))
               .arg(config.training.steps)
               .arg(config.training.batchSize)
               .arg(config.training.gradAccum)
               .arg(config.training.lr));
}

void JobLog::runStarted(qint64 jobId, const lwb::RunInfo &info, qint64 storeRunId)
{
    const QLocale locale;
    const double share = info.totalParameters > 0 ? 100.0 * static_cast<double>(info.trainableParameters)
                                                        / static_cast<double>(info.totalParameters)
                                                  : 0.0;
    QString line = jobTag(jobId)
                   + tr("Model ready on %1: %2 trainable of %3 parameters (%4%)")
                         .arg(QString::fromStdString(info.device), locale.toString(info.trainableParameters),
                              locale.toString(info.totalParameters), locale.toString(share, 'f', 2));
    if (info.startStep > 0)
        line += tr("; resumed at step %1").arg(info.startStep);
    line += storeRunId > 0 ? tr("; recorded as run #%1").arg(storeRunId) : tr("; not recorded");
    this->info(line);
}

void JobLog::evaluated(qint64 jobId, const lwb::EvalMetrics &metrics)
{
    const QLocale locale;
    if (metrics.dlp) { // a study: exact matches and the plugin, no loss
        QStringList tasks;
        for (const auto &[task, score] : metrics.exactMatchByTask)
            tasks << QStringLiteral("%1 %2%").arg(QString::fromStdString(task), locale.toString(100.0 * score, 'f', 1));
        info(
            jobTag(jobId)
            + tr("DLP-LoRA study evaluated: fusion exact match %1; plugin accuracy %2% (the DLP-LoRA tab has the "
                 "whole table)")
                  .arg(tasks.join(QStringLiteral(", ")), locale.toString(100.0 * metrics.dlp->pluginAccuracy, 'f', 1)));
        return;
    }
    QString line = jobTag(jobId)
                   + tr("Eval at step %1: loss %2, perplexity %3")
                         .arg(metrics.step)
                         .arg(locale.toString(metrics.loss, 'f', 4), locale.toString(metrics.perplexity, 'f', 3));
    if (!metrics.exactMatchByTask.empty()) {
        QStringList tasks;
        for (const auto &[task, score] : metrics.exactMatchByTask)
            tasks << QStringLiteral("%1 %2%").arg(QString::fromStdString(task), locale.toString(100.0 * score, 'f', 1));
        line += tr("; exact match: %1").arg(tasks.join(QStringLiteral(", ")));
    }
    info(line);
    if (!metrics.hasMergedEval)
        return;
    QString merged = jobTag(jobId)
                     + tr("Merged into plain LoRA: loss %1 (%2 before merging), perplexity %3")
                           .arg(locale.toString(metrics.mergedLoss, 'f', 4), locale.toString(metrics.loss, 'f', 4),
                                locale.toString(metrics.mergedPerplexity, 'f', 3));
    if (!metrics.mergedExactMatchByTask.empty()) {
        QStringList tasks;
        for (const auto &[task, score] : metrics.mergedExactMatchByTask)
            tasks << QStringLiteral("%1 %2%").arg(QString::fromStdString(task), locale.toString(100.0 * score, 'f', 1));
        merged += tr("; exact match: %1").arg(tasks.join(QStringLiteral(", ")));
    }
    info(merged);
}

void JobLog::checkpointWritten(qint64 jobId, qint64 step, const QString &path)
{
    info(jobTag(jobId) + tr("Checkpoint at step %1: %2").arg(step).arg(path));
}

void JobLog::recordingProblem(qint64 jobId, const QString &message)
{
    warning(jobTag(jobId) + message);
}

void JobLog::jobInfo(qint64 jobId, const QString &message)
{
    info(jobTag(jobId) + message);
}

void JobLog::jobFinished(qint64 jobId, lwb::RunOutcome outcome, const QString &message)
{
    switch (outcome) {
    case lwb::RunOutcome::Finished:
        info(jobTag(jobId) + (message.isEmpty() ? tr("Finished.") : tr("Finished: %1").arg(message)));
        break;
    case lwb::RunOutcome::Cancelled:
        info(jobTag(jobId) + (message.isEmpty() ? tr("Cancelled.") : tr("Cancelled: %1").arg(message)));
        break;
    case lwb::RunOutcome::Failed:
        error(jobTag(jobId) + tr("the run failed: %1").arg(message));
        break;
    }
}

} // namespace lwb::ui
