// See feed_forward.h.
#include "engine/model/feed_forward.h"

namespace lwb {

FeedForwardImpl::FeedForwardImpl(const ModelConfig &config)
    : architecture_(config.architecture)
    , activation_(config.hiddenActivation)
{
    const auto d = config.hiddenSize;
    const auto ff = config.intermediateSize;
    if (architecture_ == Architecture::Gpt2) {
        cFc_ = register_module("c_fc", AdaptedLinear(d, ff, true));
        cProj_ = register_module("c_proj", AdaptedLinear(ff, d, true));
    } else if (config.gptNeox()) {
        denseHTo4h_ = register_module("dense_h_to_4h", AdaptedLinear(d, ff, true));
        dense4hToH_ = register_module("dense_4h_to_h", AdaptedLinear(ff, d, true));
    } else if (config.fusedProjections) {
        gateUpProj_ = register_module("gate_up_proj", AdaptedLinear(d, 2 * ff, false));
        downProj_ = register_module("down_proj", AdaptedLinear(ff, d, false));
    } else {
        gateProj_ = register_module("gate_proj", AdaptedLinear(d, ff, false));
        upProj_ = register_module("up_proj", AdaptedLinear(d, ff, false));
        downProj_ = register_module("down_proj", AdaptedLinear(ff, d, false));
    }
}

torch::Tensor FeedForwardImpl::activate(const torch::Tensor &x) const
{
    if (activation_ == "gelu_pytorch_tanh")
        return torch::gelu(x, "tanh");
    if (activation_ == "gelu")
        return torch::gelu(x);
    return torch::silu(x);
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor &x)
{
    if (architecture_ == Architecture::Gpt2)
        return cProj_->forward(torch::gelu(cFc_->forward(x), "tanh"));
    if (denseHTo4h_)
        return dense4hToH_->forward(activate(denseHTo4h_->forward(x)));
    if (gateUpProj_) {
        const auto gateUp = gateUpProj_->forward(x).chunk(2, -1);
        return downProj_->forward(activate(gateUp[0]) * gateUp[1]);
    }
    return downProj_->forward(activate(gateProj_->forward(x)) * upProj_->forward(x));
}

} // namespace lwb
