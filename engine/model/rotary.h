// Rotary position embeddings as Llama uses them in Hugging Face: the "rotate
// half" layout, where dimension i pairs with i + d/2 (not the interleaved
// layout of the original RoPE paper). inv_freq_i = theta^(-2i/d), d the
// rotated width (head_dim x partial_rotary_factor; the rest of each head
// passes through unrotated, as Phi-3 and GPT-NeoX do).
//
// Scaling (transformers' modeling_rope_utils, rope_type):
//   linear  inv_freq / factor (positions stretched by factor);
//   llama3  Llama 3.1: wavelengths 2 pi / inv_freq above
//           original_max_position_embeddings / low_freq_factor are divided by
//           factor, those below original / high_freq_factor kept, and those
//           between interpolated by s = (original / wavelength - low) /
//           (high - low): (1 - s) inv_freq / factor + s inv_freq.
// Neither scales cos/sin (attention factor 1). The frequencies are computed
// once per model (float64; the tables then agree with transformers' float32
// ones to float32 rounding).
#pragma once

#include "engine/model/model_config.h"

#include <torch/types.h>

namespace lwb {

struct RotaryTables
{
    torch::Tensor cos; // [T, rotated width], or [B, 1, T, rotated width] with positions per row
    torch::Tensor sin; // the same shape
};

// The inverse frequencies [rotated width / 2], float64, scaling applied.
torch::Tensor rotaryInverseFrequencies(const ModelConfig &config);

// The tables of positions start .. start + length - 1 (a decode step with a
// KV cache starts at the cache's length).
RotaryTables rotaryTables(const torch::Tensor &inverseFrequencies, std::int64_t length,
                          const torch::TensorOptions &options, std::int64_t start = 0);

// The tables of per-row positions [B, T] int64 (left-padded batches), shaped
// [B, 1, T, width] so that they broadcast over the heads.
RotaryTables rotaryTablesAt(const torch::Tensor &inverseFrequencies, const torch::Tensor &positions,
                            const torch::TensorOptions &options);

// x: [B, H, T, head_dim] -> x * cos + rotate_half(x) * sin on the first
// rotated-width dimensions; the others unchanged.
torch::Tensor applyRotary(const torch::Tensor &x, const RotaryTables &tables);

} // namespace lwb
