// SiRA's routing decisions in one pass (issue 19 part 4b): router logits
// [T, E] -> softmax, top-k, capacity, gates and per-expert counts, with the
// contract of engine/adapters/sira_routing_ops.h (the tensor path) and
// sira_routing.cpp (the host loops):
//
//   probs      softmax of each row (the kernel computes in float32, the
//              reference in float64) stored in the logits' type; everything
//              after reads the stored value, as the tensor path sorts the
//              stored probs
//   top-k      the k largest stored probabilities, best first; of equal
//              ones the lower expert index first (the host's strict ">")
//   capacity   tokens in `groups` consecutive equal groups; per group C =
//              max(1, ceil(factor k T_real / E - 1e-9)), 0 for a group
//              without real tokens; an asking assignment is admitted when
//              its 1-based position in its expert's queue, counted over
//              the group in (choice, token) order, is <= C (GShard)
//   asks       real[t], and-ed with the optional [T, k] `queues` mask (the
//              caller's expert-dropout keep mask when dropout acts before
//              capacity); factor <= 0: every asking assignment is admitted
//   gates      q_j = stored prob of choice j; renormalised q_j / (0 + q_0 +
//              ... + q_{k-1}) summed in choice order in the accumulator type
//              (float32, float64 for double), or q_j raw; 0 where not admitted
//   counts     [3E + 1] int64: per expert the real tokens' top-k
//              assignments before capacity, the real tokens whose first
//              choice it is, the admitted assignments; then the dropped
//              (asking, not admitted) assignments
//
// Expert dropout (the [T, k] Bernoulli draw and the scaling of surviving
// gates) stays outside: the draw must come from torch's generator so that a
// seed gives the tensor path's mask, and its scaling is one multiply the
// caller does on `gates`. Probability sums, entropy and the balance loss are
// tensor ops on `probs` in the engine.
//
// Ties in the stored probabilities decide as above in all three paths, but
// the softmax's last bit may differ between torch (vectorised exp) and this
// pass, so two probabilities within an ulp of each other can order
// differently: selections are the same wherever the k-th and (k+1)-th
// probabilities differ by more than rounding (the tests use logits on a
// 0.25 grid, exact ties included, for that reason).
#pragma once

#include <cstdint>

namespace lwb::kernels {

struct TokenRoutingShape
{
    std::int64_t tokens = 0;  // T, a multiple of groups
    std::int64_t experts = 0; // E
    std::int64_t topK = 0;    // k <= E
    std::int64_t groups = 1;
};

struct TokenRoutingOptions
{
    double capacityFactor = 1.25; // <= 0: no limit
    bool renormalizeGates = true;
};

// Outputs; `capacity` [groups] is written only with a limit (may be null without).
template <typename Acc> struct TokenRoutingOutputs
{
    std::int64_t *experts = nullptr;  // [T, k]
    std::uint8_t *admitted = nullptr; // [T, k]
    Acc *gates = nullptr;             // [T, k]
    std::int64_t *capacity = nullptr; // [groups]
    std::int64_t *counts = nullptr;   // [3E + 1]
};

// Host reference: plain loops (T = float or double; the softmax in double,
// rounded to T). real: [T] (1 = real token); queues: [T, k] or null.
template <typename T>
void routeTokensReference(const TokenRoutingShape &shape, const TokenRoutingOptions &options, const T *logits,
                          const std::uint8_t *real, const std::uint8_t *queues, T *probs,
                          const TokenRoutingOutputs<T> &outputs);

// CUDA: one block per group (the queue order is sequential within a group;
// routing is a few microseconds of latency-bound work). Device pointers;
// logits and probs float32 or bfloat16 (`bfloat16`), gates float32. At
// most 128 experts. Never waits for the device.
void routeTokensCuda(const TokenRoutingShape &shape, const TokenRoutingOptions &options, bool bfloat16,
                     const void *logits, const std::uint8_t *real, const std::uint8_t *queues, void *probs,
                     const TokenRoutingOutputs<float> &outputs, void *stream);

} // namespace lwb::kernels
