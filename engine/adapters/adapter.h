// AdapterImpl: what every LoRA variant plugs into an AdaptedLinear.
//
// An adapter computes the addition to the frozen layer's output, h = W x + b
// + delta(x). Variants that have an exact dense equivalent (LoRA, merged
// ResLoRA) return it from denseDelta() so the wrapper can merge it into W;
// routed variants (SiRA, DLP-LoRA) cannot and return nothing. After each
// forward an adapter may report routing statistics and an auxiliary loss,
// which the trainer folds into StepMetrics.
//
// Before every whole-model forward pass CausalLM calls beginForward() on each
// adapter with the batch's token mask: routed variants must not count padding
// (SiRA's capacity and balance loss), and variants that link the blocks of
// successive layers (ResLoRA) start a fresh chain there.
#pragma once

#include "engine/adapters/adapter_stats.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <optional>
#include <string>

namespace lwb {

struct ForwardContext
{
    torch::Tensor tokenMask;     // [B, T] bool, true for real tokens; undefined = every token is real
    torch::Tensor sequenceTasks; // [B] int64 task index of each sequence (evaluation); undefined = none
};

class AdapterImpl : public torch::nn::Module
{
public:
    virtual void beginForward(const ForwardContext &context) { }

    // x: [..., in_features] -> [..., out_features].
    virtual torch::Tensor delta(const torch::Tensor &x) = 0;

    // base + delta(x), what AdaptedLinear adds: an adapter may fold the sum
    // into its last product (LoRA: one addmm) and spare a temporary of the
    // output's size and two passes over it.
    virtual torch::Tensor addDelta(const torch::Tensor &base, const torch::Tensor &x) { return base + delta(x); }

    // The [out, in] matrix with delta(x) == x @ denseDelta()^T in eval mode,
    // or nothing when the adapter's output depends on the input's routing.
    virtual std::optional<torch::Tensor> denseDelta() const { return std::nullopt; }

    // Routing figures of the forward passes since the last call (then reset).
    virtual void takeStats(const std::string &layerName, AdapterStats &stats) { }

    // Auxiliary loss of the last forward pass (undefined tensor = none).
    virtual torch::Tensor auxLoss() const { return {}; }

    // Whether delta() of a token depends only on that token's input (and on
    // state set before the pass, such as DLP's fusion weights). Then decoding
    // with a KV cache, which runs only the new positions, gives what a forward
    // of the whole sequence gives (CausalLMImpl::supportsKvCache). SiRA with a
    // capacity limit is not: its capacity counts the tokens of the pass.
    virtual bool actsPerToken() const { return true; }

    // Whether a second forward of the same input is harmless and leaves the
    // same state, so activation checkpointing may recompute the layer in
    // backward (engine/model/block_checkpoint.h). Not so for adapters that
    // count statistics or keep an auxiliary loss per forward, or that link
    // to other layers' activations.
    virtual bool recomputable() const { return true; }

    // Routed variants: [tasks, experts] counts of the assignments that the
    // evaluation forwards since the last call made, by the sequences' task
    // (ForwardContext::sequenceTasks), then reset. Undefined = not routed.
    virtual torch::Tensor takeTaskRouting() { return {}; }
};

} // namespace lwb
