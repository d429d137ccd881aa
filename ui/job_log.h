// JobLog: the jobs' events as a readable log — start, parameter counts,
// evaluations (loss, perplexity, exact match per task), checkpoints, storage
// warnings and the outcome. Failures are shown here in full, in red, and
// stay: a failed job's message must be readable after the fact. Several jobs
// run at once (one per device), so each event line begins with its job's id
// as the Jobs dock lists it ("[job 3]").
#pragma once

#include "engine/config/run_config.h"
#include "ui/engine_metatypes.h"

#include <QPlainTextEdit>

namespace lwb::ui {

class JobLog : public QPlainTextEdit
{
    Q_OBJECT

public:
    static constexpr int kMaxLines = 5000;

    explicit JobLog(QWidget *parent = nullptr);

    void jobStarted(qint64 jobId, const lwb::RunConfig &config);
    void runStarted(qint64 jobId, const lwb::RunInfo &info, qint64 storeRunId);
    void evaluated(qint64 jobId, const lwb::EvalMetrics &metrics);
    void checkpointWritten(qint64 jobId, qint64 step, const QString &path);
    void recordingProblem(qint64 jobId, const QString &message);
    void jobInfo(qint64 jobId, const QString &message); // an action on a job (queued, paused, ...)
    void jobFinished(qint64 jobId, lwb::RunOutcome outcome, const QString &message);
    void warning(const QString &message);
    void error(const QString &message);
    void info(const QString &message);

private:
    void appendLine(const QString &html);
    static QString jobTag(qint64 jobId);
};

} // namespace lwb::ui
