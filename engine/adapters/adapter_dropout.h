// Dropout on an adapter's input (lora_dropout in PEFT): in training each
// element is zeroed with probability p and the survivors are scaled by
// 1 / (1 - p) (inverted dropout, as torch.nn.Dropout); in evaluation the
// input passes unchanged.
//
// On the CPU (float32/float64) the keep mask comes from kernels/dropout_mask
// (a counter-based hash keyed by one 64-bit draw from torch's generator,
// filled on torch's threads): torch draws its uniforms and Bernoulli numbers
// one element at a time on one thread, which made dropout ~15 % of a LoRA
// step. Elsewhere, the mask is uniform(0, 1) >= p from torch's generator.
// Either way seeded and reproducible like any other torch draw, and the same
// for any thread count.
#pragma once

#include <torch/types.h>

namespace lwb {

torch::Tensor adapterDropout(const torch::Tensor &x, double p, bool training);

} // namespace lwb
