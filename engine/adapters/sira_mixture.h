// The gated mixture of SiRA's LoRA experts as one autograd node:
//
//   y = s * sum_e gate[:, e] * (x A_e^T) B_e^T
//
// in two forms with the same maths and the same gradients:
//
// - Dense (mixLoraExperts, any device): two matmuls over all experts at once,
//   x -> [N, E*r] through the stacked A, each expert's r columns times its
//   gate (scale s folded into the gates), -> [N, out] through the stacked B.
//   Unselected experts cost their share of the products: E/k times LoRA's
//   adapter FLOPs (4x at E = 8, k = 2). Few, large kernels: the GPU form.
// - Expert blocks (mixRoutedExperts, CPU, float32/float64): the active
//   (token, expert) assignments sorted by expert, each expert's tokens
//   gathered into a block and put through its own A_e and B_e by BLAS, the
//   results added back per token. Only the chosen experts' FLOPs (LoRA's at
//   equal active rank), at the price of 6 small products per expert and the
//   gathers; on the 2-core CPU about 30 % faster than the dense form per
//   layer (tests/bench/results/).
//
// Both write their backward out (instead of autograd's chain of reshape,
// broadcast and scale nodes) and skip dL/dx when x needs no gradient.
#pragma once

#include <torch/types.h>

namespace lwb {

// x: [N, in]; loraA: [E, r, in]; loraB: [E, out, r]; expertGates: [N, E]
// (zero for experts a token does not use). Differentiable in all four.
torch::Tensor mixLoraExperts(const torch::Tensor &x, const torch::Tensor &loraA, const torch::Tensor &loraB,
                             const torch::Tensor &expertGates, double scale);

// True when mixRoutedExperts runs on x (a CPU tensor of float32 or float64).
bool routedExpertsSupported(const torch::Tensor &x);

// The same product from the routing decisions: experts [N, k] int64 (the
// chosen experts), active [N, k] bool (the assignments that contribute: within
// capacity and not dropped out). The result equals mixLoraExperts with those
// gates; dL/dexpertGates is computed at the active entries and 0 elsewhere,
// which is all the routing's backward reads (an inactive gate is constant 0).
torch::Tensor mixRoutedExperts(const torch::Tensor &x, const torch::Tensor &loraA, const torch::Tensor &loraB,
                               const torch::Tensor &expertGates, const torch::Tensor &experts,
                               const torch::Tensor &active, double scale);

} // namespace lwb
