// Activation checkpointing (training.gradient_checkpointing): a decoder block
// that keeps only its input for backward and runs itself again there.
//
// LibTorch has no torch.utils.checkpoint, so this is a custom autograd
// Function: forward runs the block with autograd off (no activations kept,
// only the input x); backward re-runs it with autograd on and takes the
// gradients of x and of the block's trainable parameters from that graph.
// The parameters are inputs of the Function, so their gradients travel
// through the autograd graph as any other (the block's input often needs no
// gradient at all: below the first adapter nothing trains).
//
// The recomputation must be the forward again, bit for bit: the default
// generators of the CPU and of x's device are saved before the forward and
// put back for the recomputation (adapter dropout draws the same masks), then
// restored, and the autocast state of the forward is re-entered.
//
// Adapters whose forward leaves state beyond the block's output (statistics,
// an auxiliary loss, links to other layers' activations) cannot be
// recomputed this way; the trainer refuses them (AdapterImpl::recomputable).
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

namespace lwb {

// block(x) with its activations recomputed in backward. parameters: the
// block's parameters that need gradients (may be empty).
torch::Tensor checkpointedForward(const std::function<torch::Tensor(const torch::Tensor &)> &block,
                                  const torch::Tensor &x, const std::vector<torch::Tensor> &parameters);

} // namespace lwb
