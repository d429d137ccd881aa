// DynamicLossScaler: fp16 training's loss scaling (training.precision "fp16").
//
// float16 flushes gradients below ~6e-8 to zero, so the loss is multiplied by
// a scale before backward and the gradients are divided by it before the
// optimiser sees them (Micikevicius et al. 2018, "Mixed Precision Training").
// The scale is dynamic, as torch.amp.GradScaler's: a step whose gradients hold
// an inf or NaN is skipped (no update) and the scale halves; after
// growthInterval finite steps in a row it doubles.
//
// The check stays on the device: unscale() returns a 0/1 tensor the trainer
// reads with the step's other figures in its one host read, then passes to
// update(). The scale itself is host state (the host decides it), so scaling
// the loss costs no read.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace lwb {

struct LossScalerOptions
{
    double initialScale = 65536.0; // 2^16, GradScaler's default
    double growthFactor = 2.0;
    double backoffFactor = 0.5;
    std::int64_t growthInterval = 2000;
};

class DynamicLossScaler
{
public:
    explicit DynamicLossScaler(LossScalerOptions options = {});

    double scale() const { return scale_; }
    torch::Tensor scaleLoss(const torch::Tensor &loss) const { return loss * scale_; }

    // Divides every defined gradient by the scale in place; returns a
    // float32 scalar on the gradients' device, 1 when any gradient holds an
    // inf or NaN (checked before the division), else 0.
    torch::Tensor unscale(const std::vector<torch::Tensor> &parameters) const;

    // After the step's host read: returns whether the optimiser may step
    // (false: skip it), and adjusts the scale.
    bool update(bool foundNonFinite);

    std::int64_t skippedSteps() const { return skippedSteps_; }

private:
    LossScalerOptions options_;
    double scale_;
    std::int64_t goodSteps_ = 0;
    std::int64_t skippedSteps_ = 0;
};

} // namespace lwb
