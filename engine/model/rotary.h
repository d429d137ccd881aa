// Rotary position embeddings as Llama uses them in Hugging Face: the "rotate
// half" layout, where dimension i pairs with i + d/2 (not the interleaved
// layout of the original RoPE paper). inv_freq_i = theta^(-2i/d).
#pragma once

#include <torch/types.h>

namespace lwb {

struct RotaryTables
{
    torch::Tensor cos; // [T, head_dim]
    torch::Tensor sin; // [T, head_dim]
};

// The tables of positions start .. start + length - 1 (a decode step with a
// KV cache starts at the cache's length).
RotaryTables rotaryTables(std::int64_t length, std::int64_t headDim, double theta, const torch::TensorOptions &options,
                          std::int64_t start = 0);

// x: [B, H, T, head_dim] -> x * cos + rotate_half(x) * sin.
torch::Tensor applyRotary(const torch::Tensor &x, const RotaryTables &tables);

} // namespace lwb
