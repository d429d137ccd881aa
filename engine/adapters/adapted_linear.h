// AdaptedLinear: a linear layer of the base model with an optional adapter.
//
// Every linear layer of CausalLM is one of these, so any of them can be a
// LoRA target. Its own parameters are registered as "weight" [out, in] and
// "bias" [out], exactly Hugging Face's names, so named_parameters() gives the
// checkpoint keys; the adapter is the child "adapter". merge() folds an
// adapter's dense equivalent into the weight for inference and unmerge()
// takes it out again (W - dW, so up to rounding in float32).
#pragma once

#include "engine/adapters/adapter.h"

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <memory>

namespace lwb {

class AdaptedLinearImpl : public torch::nn::Module
{
public:
    AdaptedLinearImpl(std::int64_t inFeatures, std::int64_t outFeatures, bool bias);

    torch::Tensor forward(const torch::Tensor &x);

    void attach(std::shared_ptr<AdapterImpl> adapter);
    void detach();
    const std::shared_ptr<AdapterImpl> &adapter() const { return adapter_; }

    // Throws lwb::Error when the adapter has no dense equivalent.
    void merge();
    void unmerge();
    bool merged() const { return merged_; }

    std::int64_t inFeatures() const { return inFeatures_; }
    std::int64_t outFeatures() const { return outFeatures_; }

    torch::Tensor weight;
    torch::Tensor bias; // undefined when the layer has none

private:
    std::int64_t inFeatures_;
    std::int64_t outFeatures_;
    std::shared_ptr<AdapterImpl> adapter_;
    bool merged_ = false;
};

TORCH_MODULE(AdaptedLinear);

} // namespace lwb
