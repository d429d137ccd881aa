// SiraAdapter: SiRA (Zhu et al. 2023, arXiv 2311.09179), a sparse mixture of
// LoRA experts on one frozen linear layer.
//
//   g = W_g x                       router logits, W_g: [E, in], no bias
//   p = softmax(g); top-k experts; gates renormalised to sum 1 (option)
//   capacity C per expert, expert dropout on the gates (sira_routing.h)
//   delta(x) = s * sum_{kept e} gate_e * B_e A_e x,   s = alpha / r
//
// Each expert is a LoRA of rank r initialised as PEFT does (A Kaiming-
// uniform, B zero); W_g ~ N(0, 0.02). The experts' product is one autograd
// node (sira_mixture.h): on the CPU each expert runs on its own tokens only
// (expert blocks, LoRA's FLOPs); on other devices all experts run in two
// matmuls with the unselected ones gated to zero (tests/bench compares both
// with a per-expert loop).
//
// Parameters: "router" [E, in], "lora_A" [E, r, in], "lora_B" [E, out, r].
// Routing has no dense equivalent, so a SiRA layer cannot be merged.
#pragma once

#include "engine/adapters/adapter.h"
#include "engine/adapters/lora_adapter.h"
#include "engine/adapters/sira_routing.h"
#include "engine/config/sira_config.h"

#include <algorithm>

namespace lwb {

class SiraAdapterImpl : public AdapterImpl
{
public:
    SiraAdapterImpl(std::int64_t inFeatures, std::int64_t outFeatures, const LoraOptions &lora, const SiraConfig &sira);

    void beginForward(const ForwardContext &context) override;
    torch::Tensor delta(const torch::Tensor &x) override;
    void takeStats(const std::string &layerName, AdapterStats &stats) override;
    // The share of the objective: coef * (balance + z) of this layer, times
    // the number of SiRA layers with balance_reduction "sum" (the trainer
    // adds the mean over layers of auxLoss()).
    torch::Tensor auxLoss() const override { return auxLoss_; }
    torch::Tensor takeTaskRouting() override;
    // With a capacity limit a token's experts depend on the tokens routed
    // with it, so generation (an evaluation forward) re-runs whole sequences
    // (engine/model/README.md).
    bool actsPerToken() const override { return config_.capacityFactorFor(false) <= 0.0; }
    // Each forward adds to the step's routing statistics and sets the auxiliary loss.
    bool recomputable() const override { return false; }

    // SiRA layers of the model (set at attach): what "sum" multiplies by.
    void setBalanceLayers(std::int64_t layers) { balanceLayers_ = std::max<std::int64_t>(1, layers); }

    // The decisions of the last forward pass (for tests and routing analysis).
    const SiraRouting &lastRouting() const { return routing_; }
    const SiraConfig &config() const { return config_; }
    double scale() const { return scale_; }

    torch::Tensor router; // [E, in]
    torch::Tensor loraA;  // [E, r, in]
    torch::Tensor loraB;  // [E, out, r]

protected:
    // s * sum_e expertGates[:, e] * B_e A_e x for x: [N, in] and the gates of
    // `routing`: the expert blocks on the CPU, the dense mixture elsewhere.
    virtual torch::Tensor mixExperts(const torch::Tensor &x, const SiraRouting &routing);

private:
    void accumulateStats();
    void accumulateTaskRouting(std::int64_t batch);

    SiraConfig config_;
    SiraRoutingOptions routingOptions_;
    double scale_;
    double dropoutP_ = 0.0; // lora_dropout on the input (adapter_dropout.h)
    torch::Tensor tokenMask_;
    torch::Tensor sequenceTasks_;
    torch::Tensor taskRouting_; // [tasks, E] evaluation assignments by task
    SiraRouting routing_;
    torch::Tensor auxLoss_;      // what the trainer reads
    torch::Tensor layerAuxLoss_; // coef * (balance + z) of this layer alone
    std::int64_t balanceLayers_ = 1;

    // Training-mode routing figures since the last takeStats(): host sums of
    // each pass's figures, and the aux loss kept as a tensor on its device so
    // that accumulating it never waits for a GPU.
    SiraRoutingFigures totals_;
    torch::Tensor deviceTotals_; // the tensor path's figures, summed on their device
    torch::Tensor auxLossSum_;   // scalar, float64
    std::int64_t forwards_ = 0;
};

} // namespace lwb
