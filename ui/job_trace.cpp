// See job_trace.h.
#include "ui/job_trace.h"

#include "engine/adapters/variant_traits.h"

namespace lwb::ui {

JobTrace::JobTrace(lwb::RunConfig config)
    : config_(std::move(config))
{
}

bool JobTrace::isStudy() const
{
    return lwb::isStudyVariant(config_.adapter.variant);
}

void JobTrace::addSteps(const StepBatch &steps)
{
    for (const auto &step : steps) {
        if (received_++ % stride_ == 0) {
            kept_.append(step);
            if (kept_.size() >= kMaxSteps) {
                // Keep the even positions: the steps received at multiples of 2 * stride_.
                StepBatch halved;
                halved.reserve(kMaxSteps / 2);
                for (qsizetype i = 0; i < kept_.size(); i += 2)
                    halved.append(kept_[i]);
                kept_ = std::move(halved);
                stride_ *= 2;
            }
        }
        latest_ = step;
    }
}

StepBatch JobTrace::steps() const
{
    StepBatch steps = kept_;
    if (latest_ && (steps.isEmpty() || steps.back().step != latest_->step))
        steps.append(*latest_);
    return steps;
}

void JobTrace::addProgress(const lwb::DlpStudyProgress &progress)
{
    for (auto &stage : stages_) {
        if (stage.stage == progress.stage && stage.detail == progress.detail) {
            stage = progress;
            return;
        }
    }
    stages_.append(progress);
}

void JobTrace::setEnded(lwb::RunOutcome outcome, const QString &message)
{
    outcome_ = outcome;
    message_ = message;
}

} // namespace lwb::ui
