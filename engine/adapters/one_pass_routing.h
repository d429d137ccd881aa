// The engine's interface to the one-pass routing (kernels/token_routing.h):
// softmax, top-k, capacity, gates and per-expert counts of SiRA's router in
// one kernel on CUDA, or the kernels/ host reference on the CPU (float32 /
// float64), with the decisions of sira_routing_ops.h (the tensor path).
// Values only (no autograd): the router's backward stays the tensor path's
// until SiRA is rewired to this (kernels/README.md says what the GPU check
// must show first). Expert dropout stays outside: pass its keep mask as
// `queues` when it acts before capacity, and scale `gates` after.
#pragma once

#include <torch/types.h>

namespace lwb {

struct OnePassRouting
{
    torch::Tensor probs;    // [T, E] logits' dtype
    torch::Tensor experts;  // [T, k] int64, best first
    torch::Tensor admitted; // [T, k] bool
    torch::Tensor gates;    // [T, k] float32 (float64 for float64 logits); 0 where not admitted
    torch::Tensor capacity; // [groups] int64; undefined without a limit
    torch::Tensor counts;   // [3E + 1] int64: assignments, first choices, admitted per expert; dropped
};

// logits [T, E]; realTokens [T] bool; queues [T, k] bool or undefined. CUDA
// (float32, bfloat16) where the build has nvcc; CPU float32 / float64.
OnePassRouting routeInOnePass(const torch::Tensor &logits, const torch::Tensor &realTokens, std::int64_t groups,
                              std::int64_t topK, double capacityFactor, bool renormalizeGates,
                              const torch::Tensor &queues = {});

} // namespace lwb
