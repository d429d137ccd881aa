// Dropout on an adapter's input (lora_dropout in PEFT): in training each
// element is zeroed with probability p and the survivors are scaled by
// 1 / (1 - p) (inverted dropout, as torch.nn.Dropout); in evaluation the
// input passes unchanged.
//
// The keep mask is drawn as uniform(0, 1) >= p from torch's generator, not by
// bernoulli_: on the CPU LibTorch 1.13 that Debian ships, bernoulli_ draws
// element by element (~1.2 ms for a 480 x 192 input against ~0.4 ms here),
// which made dropout a quarter of a LoRA training step on the built-in base.
// The same distribution (float32 uniforms: p is honoured to 2^-24), seeded and
// reproducible like any other torch draw.
#pragma once

#include <torch/types.h>

namespace lwb {

inline torch::Tensor adapterDropout(const torch::Tensor &x, double p, bool training)
{
    if (!training || p <= 0.0)
        return x;
    const auto keep = (torch::rand_like(x) >= p).to(x.scalar_type()).mul_(1.0 / (1.0 - p));
    return x * keep;
}

} // namespace lwb
