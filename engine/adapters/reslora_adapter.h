// ResLoraAdapter: ResLoRA (Shi et al. 2024, arXiv 2402.18039), LoRA blocks
// with residual paths to the blocks of the same target type in earlier
// layers during training, merged into plain LoRA weights for inference.
//
// For block n of its chain (reslora_chain.h), input x_n, LoRA factors A_n
// [r, in] and B_n [out, r] (LoRA's init), scale s as LoRA, m = pre_num:
//   is  (input-shortcut):  delta = s B_n A_n d(x_n + x_{n-1}),  x_{-1} := x_n
//   bs  (block-shortcut):  delta = s (sum_{k=0..m} B_{n-k} A_{n-k}) d(x_n)
//   ms  (middle-shortcut): delta = s B_n sum_{k=0..m} A_{n-k} d(x_{n-k})
// d is LoRA's input dropout; ms reuses each earlier block's own A d(x), the
// very tensor that block computed. Fewer than m earlier blocks: all there are.
//
// The forward pass above is used in training and in evaluation alike; the
// merged form (reslora_merge.h) is what denseDelta() returns, so merging a
// layer into its weight or exporting it gives plain LoRA. During training
// (only) the adapter records, per micro-batch, the Frobenius norm of its
// input over the real tokens, and for ms also of A d(x); the merge uses the
// mean over the last `window` batches. These windows are buffers
// ("input_norm_window", "hidden_norm_window"; NaN = empty slot), so
// checkpoints keep them and a resumed run merges exactly as an uninterrupted
// one.
#pragma once

#include "engine/adapters/adapter.h"
#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/lora_adapter.h"
#include "engine/adapters/reslora_chain.h"
#include "engine/config/reslora_config.h"

#include <memory>

namespace lwb {

class ResLoraAdapterImpl : public AdapterImpl
{
public:
    ResLoraAdapterImpl(std::int64_t inFeatures, std::int64_t outFeatures, const LoraOptions &lora,
                       const ResLoraConfig &config, std::shared_ptr<ResLoraChain> chain, std::int64_t position);

    void beginForward(const ForwardContext &context) override;
    torch::Tensor delta(const torch::Tensor &x) override;
    // The merged plain LoRA's s B* A* (exact for bs; for is and ms exact when
    // x_{n-k} = c x_n, see reslora_merge.h).
    std::optional<torch::Tensor> denseDelta() const override;
    // Its shortcuts reach other layers' inputs and weights: a block alone cannot be recomputed.
    bool recomputable() const override { return false; }

    // The linked earlier blocks this block's shortcut reads, nearest first.
    std::vector<std::int64_t> shortcutBlocks() const;

    // Mean over the filled window slots; 0 when no training batch was seen.
    double meanInputNorm() const;
    double meanHiddenNorm() const;

    const ResLoraConfig &config() const { return config_; }
    const ResLoraChain &chain() const { return *chain_; }
    std::int64_t position() const { return position_; }
    double scale() const { return scale_; }

    torch::Tensor loraA;            // [r, in]
    torch::Tensor loraB;            // [out, r]
    torch::Tensor inputNormWindow;  // [window] float64, is and ms
    torch::Tensor hiddenNormWindow; // [window] float64, ms only

private:
    void record(torch::Tensor &window, const torch::Tensor &values);

    ResLoraConfig config_;
    double scale_;
    std::shared_ptr<ResLoraChain> chain_;
    std::int64_t position_;
    double dropoutP_ = 0.0; // lora_dropout on the inputs (adapter_dropout.h)
    torch::Tensor tokenMask_;
};

// The factory maker the registry calls once per attachAdapters(): plans the
// chains over all sites, then builds each block bound to its chain.
AdapterFactory makeResLoraFactory(const std::vector<AdapterSite> &sites, const LoraOptions &lora,
                                  const ResLoraConfig &config);

} // namespace lwb
