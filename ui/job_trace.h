// JobTrace: what one job of this session has reported — its config, store
// run id, steps, evaluations, a study's stages and its outcome — kept so the
// live dashboard can show the job again after it showed another one (several
// jobs run at once, one per device, and the dashboard shows one of them).
//
// Memory stays bounded however long the run: at most kMaxSteps steps are
// kept, evenly spaced (when full, every second one is dropped and from then
// on only every second incoming step is kept, and so on); the latest step is
// always kept. A run of up to kMaxSteps steps is therefore shown again
// exactly; a longer one with its curves thinned — the views downsample their
// series anyway. Of a study's stages only the latest report per stage is
// kept, which is all the stage table shows.
#pragma once

#include "engine/config/run_config.h"
#include "ui/engine_metatypes.h"

#include <QString>
#include <QVector>

#include <optional>

namespace lwb::ui {

class JobTrace
{
public:
    static constexpr int kMaxSteps = 2048;

    explicit JobTrace(lwb::RunConfig config);

    const lwb::RunConfig &config() const { return config_; }
    bool isStudy() const;

    void setStoreRunId(qint64 runId) { storeRunId_ = runId; }
    qint64 storeRunId() const { return storeRunId_; }

    void addSteps(const StepBatch &steps);
    // The kept steps in order, the latest step last.
    StepBatch steps() const;

    void addEvaluation(const lwb::EvalMetrics &metrics) { evaluations_.append(metrics); }
    const QVector<lwb::EvalMetrics> &evaluations() const { return evaluations_; }

    void addProgress(const lwb::DlpStudyProgress &progress);
    const QVector<lwb::DlpStudyProgress> &stages() const { return stages_; }

    void setEnded(lwb::RunOutcome outcome, const QString &message);
    const std::optional<lwb::RunOutcome> &outcome() const { return outcome_; }
    const QString &message() const { return message_; }

private:
    lwb::RunConfig config_;
    qint64 storeRunId_ = 0;
    StepBatch kept_;            // every stride_-th step received, at most kMaxSteps
    std::int64_t received_ = 0; // steps received so far
    std::int64_t stride_ = 1;
    std::optional<lwb::StepMetrics> latest_;
    QVector<lwb::EvalMetrics> evaluations_;
    QVector<lwb::DlpStudyProgress> stages_;
    std::optional<lwb::RunOutcome> outcome_;
    QString message_;
};

} // namespace lwb::ui
