// One SiRA layer for the SiRA suites (test_sira, test_sira_dropout_balance):
// a float64 AdaptedLinear of kIn -> kOut with random frozen weights and a
// SiRA adapter of rank kRank whose B and router are drawn at random, so every
// path of the mixture shows in the output; Case holds the routing choices a
// test varies.
#pragma once

#include "engine/adapters/adapted_linear.h"
#include "engine/adapters/sira_adapter.h"

#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <string>

namespace lwb::test {

constexpr std::int64_t kSiraIn = 9, kSiraOut = 6, kSiraRank = 2;

inline double relativeError(const torch::Tensor &actual, const torch::Tensor &expected)
{
    return (actual - expected).norm().item<double>() / std::max(1e-300, expected.norm().item<double>());
}

struct Case
{
    std::int64_t experts = 4;
    std::int64_t topK = 2;
    double capacityFactor = 0.0;
    bool renormalize = true;
    bool perSequence = false;
};

struct Layer
{
    lwb::AdaptedLinear linear{nullptr};
    std::shared_ptr<lwb::SiraAdapterImpl> sira;
};

inline Layer makeLayer(const Case &c, double expertDropout = 0.0, const std::string &dropoutScaling = "inverted")
{
    lwb::LoraOptions lora;
    lora.rank = kSiraRank;
    lora.alpha = 3.0;
    lora.dropout = 0.0;
    lwb::SiraConfig config;
    config.experts = c.experts;
    config.topK = c.topK;
    config.capacityFactor = c.capacityFactor;
    config.capacityGroup = c.perSequence ? "sequence" : "batch";
    config.renormalizeGates = c.renormalize;
    config.expertDropout = expertDropout;
    config.expertDropoutScaling = dropoutScaling;
    config.auxLossCoef = 0.0;
    Layer layer;
    layer.linear = lwb::AdaptedLinear(kSiraIn, kSiraOut, true);
    layer.sira = std::make_shared<lwb::SiraAdapterImpl>(kSiraIn, kSiraOut, lora, config);
    layer.linear->attach(layer.sira);
    layer.linear->to(torch::kFloat64);
    torch::NoGradGuard noGrad;
    layer.linear->weight.normal_();
    layer.linear->bias.normal_();
    layer.linear->weight.set_requires_grad(false);
    layer.linear->bias.set_requires_grad(false);
    // B starts at zero (as LoRA); give it values so that every path shows.
    layer.sira->loraB.normal_();
    layer.sira->router.normal_(); // a sharper router than the init, so top-k choices are well separated
    return layer;
}

} // namespace lwb::test
