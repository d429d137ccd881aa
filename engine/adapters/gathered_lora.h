// The engine's interface to the gathered low-rank apply (kernels/gathered_lora.h):
//
//   delta[t] = sum_j weight[t, j] * B[index[t, j]] A[index[t, j]] x[t]
//
// for T tokens with k (adapter, weight) pairs each over N stacked LoRAs.
// index -1 is an empty slot; an adapter may repeat within a token.
// Differentiable in x, A, B and weight (weight's gradient is what SiRA's
// router needs).
//
// Two paths with the same maths:
// - kernel: CUDA tensors of float32 or bfloat16 in a build with nvcc
//   (LWB_HAVE_CUDA): the shrink/expand kernels and their backward, as one
//   autograd node, on the current CUDA stream, accumulating in float32;
// - composition: everything else (the CPU, float64, a build without nvcc):
//   LibTorch ops with autograd's backward. x A_all^T over all N adapters at
//   once, the pairs' r columns gathered, weighted and scattered back to
//   their adapters' columns, then one product with B_all. No per-pair copy
//   of a matrix and no host synchronisation; N / k times the kernel's FLOPs
//   (the same trade as SiRA's dense mixture).
//
// Not yet called by SiRA or DLP-LoRA: see kernels/README.md for the call
// sites it will serve and the GPU check that must pass first.
#pragma once

#include <torch/types.h>

namespace lwb {

enum class GatheredLoraPath { Auto, Kernel, Composition };

// x [T, in]; loraA [N, r, in]; loraB [N, out, r] (the same dtype and device
// as x); index [T, k] int64 in [-1, N); weight [T, k] floating. Returns
// [T, out] in x's dtype. Kernel: an error where the kernel cannot run; Auto:
// the kernel where it can.
torch::Tensor gatheredLoraDelta(const torch::Tensor &x, const torch::Tensor &loraA, const torch::Tensor &loraB,
                                const torch::Tensor &index, const torch::Tensor &weight,
                                GatheredLoraPath path = GatheredLoraPath::Auto);

// Whether the kernel path runs on x (a CUDA build, a CUDA tensor, float32 or bfloat16).
bool gatheredLoraKernelRuns(const torch::Tensor &x);

} // namespace lwb
