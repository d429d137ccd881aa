// Gathered low-rank apply (issue 19 part 4a): T tokens, each with up to k
// (adapter, weight) pairs, over N stacked LoRAs A [N, r, in], B [N, out, r]:
//
//   y[t] += sum_j w[t, j] * B[a[t, j]] (A[a[t, j]] x[t])
//
// split as Punica's SGMV/BGMV split it (the formulas only, no code):
//   shrink   h[t, j] = A[a[t, j]] x[t]                        [T, k, r]
//   expand   y[t]   += sum_j w[t, j] B[a[t, j]] h[t, j]       [T, out]
// and the backward, from dy [T, out]:
//   g[t, j]  = B[a[t, j]]^T dy[t]                             [T, k, r]  (a shrink by B^T)
//   dW[t, j] = g[t, j] . h[t, j]                               [T, k]     (the gates' gradient, SiRA's router)
//   dX[t]    = sum_j w[t, j] A[a[t, j]]^T g[t, j]              [T, in]    (an expand by A^T)
//   dA[n]    = sum_{(t, j): a = n} w[t, j] g[t, j] x[t]^T      [N, r, in]
//   dB[n]    = sum_{(t, j): a = n} w[t, j] dy[t] h[t, j]^T     [N, out, r]
//
// Contract shared by the CUDA kernels (gathered_lora.cu) and the host
// reference below: every buffer dense row-major; a[t, j] in [0, N) or -1
// for an empty slot (h = 0, no contribution, dW = 0); the same adapter may
// appear twice in one token's pairs (its terms add). x, A, B, dy, y and dX
// share one element type; h, g, w, dW, dA and dB are float32 (the kernels
// accumulate in float32, the reference in float64). T = 0 is allowed.
//
// This header is torch-free; engine/adapters/gathered_lora.h is the engine's
// interface (shape checks, autograd, the LibTorch fallback).
#pragma once

#include <cstdint>

namespace lwb::kernels {

struct GatheredLoraShape
{
    std::int64_t tokens = 0;   // T
    std::int64_t pairs = 0;    // k, pairs per token
    std::int64_t adapters = 0; // N
    std::int64_t rank = 0;     // r
    std::int64_t in = 0;
    std::int64_t out = 0;

    std::int64_t pairCount() const { return tokens * pairs; }
};

// --- host reference: plain loops, float64 accumulation (T = float or double) ---

// h [T, k, r] = shrink; y [T, out] += expand (y is read and written).
template <typename T>
void gatheredLoraForwardReference(const GatheredLoraShape &shape, const T *x, const T *loraA, const T *loraB,
                                  const std::int64_t *index, const T *weight, T *h, T *y);

// All outputs are overwritten: gradX [T, in], gradA [N, r, in], gradB [N,
// out, r], gradWeight [T, k]. h is the forward's shrink.
template <typename T>
void gatheredLoraBackwardReference(const GatheredLoraShape &shape, const T *x, const T *loraA, const T *loraB,
                                   const std::int64_t *index, const T *weight, const T *h, const T *gradY, T *gradX,
                                   T *gradA, T *gradB, T *gradWeight);

// --- CUDA (compiled only where nvcc exists: LWB_HAVE_CUDA) ---

enum class GatheredElement { Float32, BFloat16 };

// Device pointers, all on the device of `stream` (a cudaStream_t: the
// caller's current stream). Element pointers are of `element`'s type;
// h, weight, gradWeight, gradA, gradB are float32. Nothing waits for the
// device; errors of the launch throw std::runtime_error.
struct GatheredLoraDeviceBuffers
{
    GatheredElement element = GatheredElement::Float32;
    const void *x = nullptr;             // [T, in]
    const void *loraA = nullptr;         // [N, r, in]
    const void *loraB = nullptr;         // [N, out, r]
    const std::int64_t *index = nullptr; // [T, k]
    const float *weight = nullptr;       // [T, k]
};

// h [T, k, r] (float32) and y [T, out] (element type, accumulated into).
void gatheredLoraForwardCuda(const GatheredLoraShape &shape, const GatheredLoraDeviceBuffers &buffers, float *h,
                             void *y, void *stream);

// The pairs sorted by adapter for dA and dB: `order` [T k] the pair indices
// (t * k + j) grouped by adapter, stable; `offsets` [N + 1] where each
// adapter's run starts (empty slots after offsets[N]). Scratch: g [T, k, r]
// float32. gradX [T, in] in the element type; gradA [N, r, in], gradB [N,
// out, r], gradWeight [T, k] float32. All outputs overwritten.
struct GatheredLoraGradients
{
    float *scratchG = nullptr;
    void *gradX = nullptr; // may be null: not computed
    float *gradA = nullptr;
    float *gradB = nullptr;
    float *gradWeight = nullptr;
};
void gatheredLoraBackwardCuda(const GatheredLoraShape &shape, const GatheredLoraDeviceBuffers &buffers, const float *h,
                              const void *gradY, const std::int64_t *order, const std::int64_t *offsets,
                              const GatheredLoraGradients &gradients, void *stream);

} // namespace lwb::kernels
