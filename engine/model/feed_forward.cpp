// See feed_forward.h.
#include "engine/model/feed_forward.h"

namespace lwb {

FeedForwardImpl::FeedForwardImpl(const ModelConfig &config)
    : architecture_(config.architecture)
{
    const auto d = config.hiddenSize;
    const auto ff = config.intermediateSize;
    if (architecture_ == Architecture::Gpt2) {
        cFc_ = register_module("c_fc", AdaptedLinear(d, ff, true));
        cProj_ = register_module("c_proj", AdaptedLinear(ff, d, true));
    } else {
        gateProj_ = register_module("gate_proj", AdaptedLinear(d, ff, false));
        upProj_ = register_module("up_proj", AdaptedLinear(d, ff, false));
        downProj_ = register_module("down_proj", AdaptedLinear(ff, d, false));
    }
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor &x)
{
    if (architecture_ == Architecture::Gpt2)
        return cProj_->forward(torch::gelu(cFc_->forward(x), "tanh"));
    return downProj_->forward(torch::silu(gateProj_->forward(x)) * upProj_->forward(x));
}

} // namespace lwb
