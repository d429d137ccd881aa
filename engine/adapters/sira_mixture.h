// The gated mixture of SiRA's LoRA experts as one autograd node:
//
//   y = s * sum_e gate[:, e] * (x A_e^T) B_e^T
//
// computed as two matmuls over all experts at once: x -> [N, E*r] through the
// stacked A, each expert's r columns times its gate (scale s folded into the
// gates, so no pass over [N, out] besides the matmuls), -> [N, out] through
// the stacked B. The backward is written out (four matmuls and two passes over
// [N, E*r]) instead of autograd's chain of reshape, broadcast-multiply and
// scale nodes, and skips dL/dx when x needs no gradient.
#pragma once

#include <torch/types.h>

namespace lwb {

// x: [N, in]; loraA: [E, r, in]; loraB: [E, out, r]; expertGates: [N, E]
// (zero for experts a token does not use). Differentiable in all four.
torch::Tensor mixLoraExperts(const torch::Tensor &x, const torch::Tensor &loraA, const torch::Tensor &loraB,
                             const torch::Tensor &expertGates, double scale);

} // namespace lwb
