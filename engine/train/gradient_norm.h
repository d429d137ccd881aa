// Gradient clipping that stays on the device: torch::nn::utils::clip_grad_norm_
// returns the norm as a double, one host read per call; this returns it as a
// tensor so the trainer reads it with the step's other figures at once.
//
// Same arithmetic as LibTorch's clip_grad_norm_ (norm of the per-parameter L2
// norms; coefficient max / (norm + 1e-6) clamped to 1), so the updates are
// bitwise those of the call it replaces.
#pragma once

#include <torch/types.h>

#include <vector>

namespace lwb {

// Scales the gradients so their global L2 norm is at most maxNorm (infinite:
// no scaling) and returns the norm before scaling, a scalar on their device
// (0 when no parameter has a gradient).
torch::Tensor clipGradientNorm(const std::vector<torch::Tensor> &parameters, double maxNorm);

} // namespace lwb
