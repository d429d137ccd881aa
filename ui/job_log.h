// JobLog: the run's events as a readable log — start, parameter counts,
// evaluations (loss, perplexity, exact match per task), checkpoints, storage
// warnings and the outcome. Failures are shown here in full, in red, and
// stay: a failed job's message must be readable after the fact.
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

    void jobStarted(const lwb::RunConfig &config);
    void runStarted(const lwb::RunInfo &info, qint64 storeRunId);
    void evaluated(const lwb::EvalMetrics &metrics);
    void checkpointWritten(qint64 step, const QString &path);
    void jobFinished(lwb::RunOutcome outcome, const QString &message);
    void warning(const QString &message);
    void error(const QString &message);
    void info(const QString &message);

private:
    void appendLine(const QString &html);
};

} // namespace lwb::ui
