// See feed_forward.h.
#include "engine/model/feed_forward.h"

namespace lwb {

FeedForwardImpl::FeedForwardImpl(const ModelConfig &config)
    : architecture_(config.architecture)
    , geluGate_(config.hiddenActivation == "gelu_pytorch_tanh")
{
    const auto d = config.hiddenSize;
    const auto ff = config.intermediateSize;
    if (architecture_ == Architecture::Gpt2) {
        cFc_ = register_module("c_fc", AdaptedLinear(d, ff, true));
        cProj_ = register_module("c_proj", AdaptedLinear(ff, d, true));
    } else if (config.fusedProjections) {
        gateUpProj_ = register_module("gate_up_proj", AdaptedLinear(d, 2 * ff, false));
        downProj_ = register_module("down_proj", AdaptedLinear(ff, d, false));
    } else {
        gateProj_ = register_module("gate_proj", AdaptedLinear(d, ff, false));
        upProj_ = register_module("up_proj", AdaptedLinear(d, ff, false));
        downProj_ = register_module("down_proj", AdaptedLinear(ff, d, false));
    }
}

torch::Tensor FeedForwardImpl::gate(const torch::Tensor &x) const
{
    return geluGate_ ? torch::gelu(x, "tanh") : torch::silu(x);
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor &x)
{
    if (architecture_ == Architecture::Gpt2)
        return cProj_->forward(torch::gelu(cFc_->forward(x), "tanh"));
    if (gateUpProj_) {
        const auto gateUp = gateUpProj_->forward(x).chunk(2, -1);
        return downProj_->forward(gate(gateUp[0]) * gateUp[1]);
    }
    return downProj_->forward(gate(gateProj_->forward(x)) * upProj_->forward(x));
}

} // namespace lwb
