// causalAttention: softmax(q k^T scale + mask) v over already projected and
// rotated heads, with the variants of the Llama family:
//   - a sliding window (Mistral, Gemma 2's local layers): query i sees key j
//     when i - window < j <= i, as transformers' sliding_window_overlay;
//   - attention-logit soft-capping (Gemma 2): scores -> cap tanh(scores /
//     cap) before the mask, softmax in float32, as its eager attention.
// Without soft-capping it is torch's fused attention (one kernel forward and
// backward on the CPU and on CUDA, no [T, T] score tensor kept), with the kv
// heads shared in place (enable_gqa); the plain causal case passes no mask.
// Soft-capping has no fused kernel, so that path forms the scores.
#pragma once

#include <torch/types.h>

namespace lwb {

struct CausalAttentionOptions
{
    double scale = 0.0;      // 0: 1 / sqrt(head_dim)
    std::int64_t window = 0; // 0: every earlier position
    double softcap = 0.0;    // 0: none
};

// q [B, H, T, Dh]; k, v [B, Hkv, past + T, Dh] (the first `past` positions
// from a KV cache) -> [B, H, T, Dh]. Query t sits at position past + t.
// realKeys [B, past + T] bool (left-padded batches) keeps every query off the
// padding; a padding query sees only itself (its output is never used, and a
// row with no allowed key would be NaN). Padding sits left of every real
// token, so window distances counted in slots equal those in positions.
torch::Tensor causalAttention(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v, std::int64_t past,
                              const CausalAttentionOptions &options, const torch::Tensor &realKeys = {});

} // namespace lwb
