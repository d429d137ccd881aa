// See lr_schedule.h.
#include "engine/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace lwb {

double learningRateAt(std::int64_t stepIndex, std::int64_t totalSteps, std::int64_t warmupSteps, double peak,
                      double minRatio)
{
    if (stepIndex < warmupSteps)
        return peak * static_cast<double>(stepIndex + 1) / static_cast<double>(warmupSteps);
    const double floor = peak * minRatio;
    const auto decaySteps = std::max<std::int64_t>(1, totalSteps - warmupSteps - 1);
    const double progress
        = std::min(1.0, static_cast<double>(stepIndex - warmupSteps) / static_cast<double>(decaySteps));
    return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

} // namespace lwb
