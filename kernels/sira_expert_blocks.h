// SiRA's gated mixture of LoRA experts over expert blocks on the CPU, on raw
// row-major buffers (the arithmetic of engine/adapters/sira_expert_blocks.cpp,
// mixRoutedExperts, whose torch glue keeps the checks, the autograd node and
// the threads):
//
//   y[t] = sum_{j active} s * gate[t, e] * B_e (A_e x[t]),   e = experts[t, j]
//
// An assignment ("slot") is one active (token, choice) pair. The slots are
// sorted by expert, then token, then choice: expert e owns slots
// [offsets[e], offsets[e + 1]). Each expert gathers its tokens' rows into a
// block and puts them through A_e and B_e in two products (6 in the
// backward), so only the chosen experts cost FLOPs; each token then sums its
// k slot rows in choice order.
//
// Threads: none here. Every entry point covers one expert or one range of
// tokens and writes only that expert's / those tokens' outputs, so the
// caller may run them in any order, on any threads, with the same bits (the
// engine spreads them with at::parallel_for).
//
// Products: through a row-major GEMM the caller passes (GemmRowMajorFn), by
// default gemmRowMajor (cpu_gemm.h, the BLAS LibTorch calls); the engine
// passes its own engine/core/cpu_gemm.h, which is that BLAS where the build
// links one and torch::mm on views otherwise (this layer has no torch).
//
// Reference: sira_expert_blocks_reference.cpp (the plan by a scan per
// expert, the forward and backward as plain loops with double sums);
// tests/engine/test_sira_expert_blocks_kernel.cpp.
#pragma once

#include "kernels/cpu_gemm.h"

#include <cstdint>
#include <vector>

namespace lwb::kernels {

struct ExpertBlocksShape
{
    std::int64_t tokens = 0;  // N
    std::int64_t choices = 0; // k, choices per token
    std::int64_t experts = 0; // E
    std::int64_t rank = 0;    // r
    std::int64_t in = 0;
    std::int64_t out = 0;
};

// C = alpha op(A) op(B) + beta C on row-major buffers (cpu_gemm.h's contract).
template <typename T>
using GemmRowMajorFn
    = void (*)(bool transposeA, bool transposeB, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T *a,
               std::int64_t lda, const T *b, std::int64_t ldb, T beta, T *c, std::int64_t ldc);

// --- planning: experts [N, k] int64, active [N, k] bool, gates [N, E] ---
// A token's active choices name distinct experts (as top-k picks them): its
// gate gradient per expert is written by its one slot of that expert.

// offsets [E + 1]: expert e owns slots [offsets[e], offsets[e + 1]);
// offsets[E] is the slot count M. Throws std::out_of_range for an active
// choice outside [0, E) (an inactive choice's expert is not read).
std::vector<std::int64_t> expertSlotOffsets(const ExpertBlocksShape &shape, const std::int64_t *experts,
                                            const bool *active);

// Fills slotToken [M] (the slot's token), slotGate [M] (gate[t, e] * s,
// computed in double and rounded once to T) and tokenSlots [N, k] (the slot
// of each choice, -1 where inactive). offsets from expertSlotOffsets.
template <typename T>
void fillExpertSlots(const ExpertBlocksShape &shape, const std::vector<std::int64_t> &offsets,
                     const std::int64_t *experts, const bool *active, const T *gates, double scale,
                     std::int64_t *slotToken, T *slotGate, std::int64_t *tokenSlots);

// --- forward, one expert at a time ---

template <typename T> struct ExpertBlocksForward
{
    ExpertBlocksShape shape;
    const std::int64_t *offsets = nullptr;   // [E + 1]
    const std::int64_t *slotToken = nullptr; // [M]
    const T *slotGate = nullptr;             // [M]
    const T *x = nullptr;                    // [N, in]
    const T *loraA = nullptr;                // [E, r, in]
    const T *loraB = nullptr;                // [E, out, r]
    // Outputs, [M, *]: the gathered rows x_e, h = x_e A_e^T, g = h * gate s,
    // the expanded rows g B_e^T (the backward reads the first three).
    T *gathered = nullptr;
    T *hidden = nullptr;
    T *gated = nullptr;
    T *expanded = nullptr;
    GemmRowMajorFn<T> gemm = gemmRowMajor;
};

// Writes expert e's slot rows of gathered, hidden, gated and expanded.
template <typename T> void expertBlockForward(const ExpertBlocksForward<T> &buffers, std::int64_t expert);

// --- backward, one expert at a time ---

template <typename T> struct ExpertBlocksBackward
{
    ExpertBlocksShape shape;
    double scale = 1.0;
    const std::int64_t *offsets = nullptr;
    const std::int64_t *slotToken = nullptr;
    const T *slotGate = nullptr;
    const T *gradOut = nullptr; // dL/dy [N, out]
    const T *loraA = nullptr;
    const T *loraB = nullptr;
    const T *gathered = nullptr; // the forward's, [M, in]
    const T *hidden = nullptr;   // [M, r]
    const T *gated = nullptr;    // [M, r]
    // Scratch [M, *]: dy per slot, dL/dg, dL/dh.
    T *gradSlotsOut = nullptr;
    T *gradGated = nullptr;
    T *gradHidden = nullptr;
    // Outputs. gradA [E, r, in] and gradB [E, out, r]: expert e's block
    // overwritten (zeros for an expert without slots). gradGates [N, E] or
    // null: entry (token, e) written for each of e's slots, nothing else (the
    // caller zeros it). gradSlotsIn [M, in] or null: dL/dx per slot, summed
    // per token by addSlotsPerToken.
    T *gradA = nullptr;
    T *gradB = nullptr;
    T *gradGates = nullptr;
    T *gradSlotsIn = nullptr;
    GemmRowMajorFn<T> gemm = gemmRowMajor;
};

template <typename T> void expertBlockBackward(const ExpertBlocksBackward<T> &buffers, std::int64_t expert);

// --- back to tokens ---

// rows[t] = sum_j slotRows[tokenSlots[t, j]] over the active choices in
// choice order (0 when none), for t in [firstToken, endToken).
template <typename T>
void addSlotsPerToken(const std::int64_t *tokenSlots, std::int64_t choices, const T *slotRows, std::int64_t width,
                      T *rows, std::int64_t firstToken, std::int64_t endToken);

// --- reference: plain loops, double sums (sira_expert_blocks_reference.cpp) ---

struct ExpertSlotsReference
{
    std::vector<std::int64_t> offsets;    // [E + 1]
    std::vector<std::int64_t> slotToken;  // [M]
    std::vector<std::int64_t> tokenSlots; // [N, k]
};

// The same layout, found by scanning all (token, choice) pairs once per expert.
ExpertSlotsReference expertSlotsReference(const ExpertBlocksShape &shape, const std::int64_t *experts,
                                          const bool *active);

// y [N, out] overwritten.
void expertBlocksForwardReference(const ExpertBlocksShape &shape, const double *x, const double *loraA,
                                  const double *loraB, const double *gates, const std::int64_t *experts,
                                  const bool *active, double scale, double *y);

// All outputs overwritten: gradX [N, in], gradA [E, r, in], gradB [E, out,
// r], gradGates [N, E] (s <B_e^T dy, A_e x> at the active (token, expert)
// entries, 0 elsewhere).
void expertBlocksBackwardReference(const ExpertBlocksShape &shape, const double *x, const double *loraA,
                                   const double *loraB, const double *gates, const std::int64_t *experts,
                                   const bool *active, double scale, const double *gradY, double *gradX, double *gradA,
                                   double *gradB, double *gradGates);

extern template void fillExpertSlots<float>(const ExpertBlocksShape &, const std::vector<std::int64_t> &,
                                            const std::int64_t *, const bool *, const float *, double, std::int64_t *,
                                            float *, std::int64_t *);
extern template void fillExpertSlots<double>(const ExpertBlocksShape &, const std::vector<std::int64_t> &,
                                             const std::int64_t *, const bool *, const double *, double, std::int64_t *,
                                             double *, std::int64_t *);
extern template void expertBlockForward<float>(const ExpertBlocksForward<float> &, std::int64_t);
extern template void expertBlockForward<double>(const ExpertBlocksForward<double> &, std::int64_t);
extern template void expertBlockBackward<float>(const ExpertBlocksBackward<float> &, std::int64_t);
extern template void expertBlockBackward<double>(const ExpertBlocksBackward<double> &, std::int64_t);
extern template void addSlotsPerToken<float>(const std::int64_t *, std::int64_t, const float *, std::int64_t, float *,
                                             std::int64_t, std::int64_t);
extern template void addSlotsPerToken<double>(const std::int64_t *, std::int64_t, const double *, std::int64_t,
                                              double *, std::int64_t, std::int64_t);

} // namespace lwb::kernels
