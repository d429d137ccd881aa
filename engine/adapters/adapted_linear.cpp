// See adapted_linear.h.
#include "engine/adapters/adapted_linear.h"

#include "engine/core/error.h"

#include <torch/nn/functional/linear.h>

namespace lwb {

AdaptedLinearImpl::AdaptedLinearImpl(std::int64_t inFeatures, std::int64_t outFeatures, bool withBias)
    : inFeatures_(inFeatures)
    , outFeatures_(outFeatures)
{
    weight = register_parameter("weight", torch::empty({outFeatures, inFeatures}));
    if (withBias)
        bias = register_parameter("bias", torch::zeros({outFeatures}));
}

torch::Tensor AdaptedLinearImpl::forward(const torch::Tensor &x)
{
    auto out = torch::nn::functional::linear(x, weight, bias);
    if (adapter_ && !merged_)
        out = adapter_->addDelta(out, x);
    return out;
}

void AdaptedLinearImpl::attach(std::shared_ptr<AdapterImpl> adapter)
{
    // Replacing an adapter (importing a second PEFT folder or bundle): the old
    // one leaves the module tree first, torch refuses a second "adapter".
    detach();
    adapter_ = register_module("adapter", std::move(adapter));
}

void AdaptedLinearImpl::detach()
{
    if (merged_)
        unmerge();
    if (adapter_)
        unregister_module("adapter");
    adapter_.reset();
}

void AdaptedLinearImpl::merge()
{
    if (!adapter_ || merged_)
        return;
    const auto delta = adapter_->denseDelta();
    if (!delta)
        throw Error(name(), "this adapter has no dense equivalent and cannot be merged into the weight");
    torch::NoGradGuard noGrad;
    weight.add_(delta->to(weight.dtype()));
    merged_ = true;
}

void AdaptedLinearImpl::unmerge()
{
    if (!adapter_ || !merged_)
        return;
    torch::NoGradGuard noGrad;
    weight.sub_(adapter_->denseDelta()->to(weight.dtype()));
    merged_ = false;
}

} // namespace lwb
