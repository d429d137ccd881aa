// The learning-rate schedule: linear warmup, then cosine decay.
//
// For the step with 0-based index i of n steps, warmup w, peak lr and floor
// lr * minRatio:
//   i < w:  lr * (i + 1) / w
//   else:   floor + (lr - floor) * (1 + cos(pi * (i - w) / max(1, n - w - 1))) / 2
// so the first step after warmup uses the peak and the last one the floor.
#pragma once

#include <cstdint>

namespace lwb {

double learningRateAt(std::int64_t stepIndex, std::int64_t totalSteps, std::int64_t warmupSteps, double peak,
                      double minRatio);

} // namespace lwb
