// See reslora_adapter.h.
#include "engine/adapters/reslora_adapter.h"

#include "engine/adapters/adapter_dropout.h"
#include "engine/adapters/reslora_merge.h"
#include "engine/core/error.h"

#include <limits>
#include <map>

namespace lwb {

namespace {

// The Frobenius norm over the real tokens of x [..., features]; every token
// counts when the mask does not describe x.
torch::Tensor realTokenNorm(const torch::Tensor &x, const torch::Tensor &tokenMask)
{
    const auto squares = x.detach().to(torch::kFloat64).pow(2).sum(-1); // [...]
    if (tokenMask.defined() && tokenMask.numel() == squares.numel())
        return (squares.reshape({-1}) * tokenMask.reshape({-1}).to(squares.device(), torch::kFloat64)).sum().sqrt();
    return squares.sum().sqrt();
}

double windowMean(const torch::Tensor &window)
{
    if (!window.defined())
        return 0.0;
    const auto values = window.to(torch::kCPU);
    const auto filled = ~torch::isnan(values);
    const auto count = filled.sum().item<std::int64_t>();
    return count == 0 ? 0.0 : values.masked_select(filled).sum().item<double>() / static_cast<double>(count);
}

} // namespace

ResLoraAdapterImpl::ResLoraAdapterImpl(std::int64_t inFeatures, std::int64_t outFeatures, const LoraOptions &lora,
                                       const ResLoraConfig &config, std::shared_ptr<ResLoraChain> chain,
                                       std::int64_t position)
    : config_(config)
    , scale_(lora.scale())
    , chain_(std::move(chain))
    , position_(position)
    , dropoutP_(lora.dropout)
{
    const auto factors = registerLoraFactors(*this, inFeatures, outFeatures, lora.rank);
    loraA = factors.a;
    loraB = factors.b;
    const auto empty
        = [&] { return torch::full({config.window}, std::numeric_limits<double>::quiet_NaN(), torch::kFloat64); };
    if (config.variant != "bs")
        inputNormWindow = register_buffer("input_norm_window", empty());
    if (config.variant == "ms")
        hiddenNormWindow = register_buffer("hidden_norm_window", empty());
}

void ResLoraAdapterImpl::beginForward(const ForwardContext &context)
{
    tokenMask_ = context.tokenMask;
    chain_->beginForward();
}

std::vector<std::int64_t> ResLoraAdapterImpl::shortcutBlocks() const
{
    return chain_->predecessors(position_, config_.variant == "is" ? 1 : config_.preNum);
}

torch::Tensor ResLoraAdapterImpl::delta(const torch::Tensor &x)
{
    const auto dropout = [this](const torch::Tensor &t) { return adapterDropout(t, dropoutP_, is_training()); };
    const auto earlier = shortcutBlocks();
    if (is_training() && inputNormWindow.defined())
        record(inputNormWindow, realTokenNorm(x, tokenMask_));

    if (config_.variant == "is") {
        chain_->keepInput(position_, x);
        const auto &previous = earlier.empty() ? x : chain_->input(earlier.front(), x);
        return torch::matmul(torch::matmul(dropout(x + previous), loraA.t()), loraB.t()) * scale_;
    }
    if (config_.variant == "bs") {
        // sum_k B_k A_k d_k(x) as one product through the stacked B's. With
        // "per_block" each linked block draws its own mask d_k, as the
        // official code calls each earlier block's LoraBlock (its own
        // nn.Dropout) on x; "shared" (or no dropout) one mask for all.
        std::vector<torch::Tensor> as{loraA}, bs{loraB};
        for (const auto k : earlier) {
            const auto &block = chain_->adapter(k);
            as.push_back(block.loraA);
            bs.push_back(block.loraB);
        }
        const bool perBlock = config_.bsDropout == "per_block" && is_training() && dropoutP_ > 0.0 && !earlier.empty();
        if (!perBlock)
            return torch::matmul(torch::matmul(dropout(x), torch::cat(as, 0).t()), torch::cat(bs, 1).t()) * scale_;
        std::vector<torch::Tensor> hidden;
        hidden.reserve(as.size());
        for (const auto &a : as)
            hidden.push_back(torch::matmul(dropout(x), a.t()));
        return torch::matmul(torch::cat(hidden, -1), torch::cat(bs, 1).t()) * scale_;
    }
    // ms: this block's A d(x) is the shortcut its successors read.
    const auto hidden = torch::matmul(dropout(x), loraA.t());
    chain_->keepHidden(position_, hidden);
    if (is_training())
        record(hiddenNormWindow, realTokenNorm(hidden, tokenMask_));
    auto sum = hidden;
    for (const auto k : earlier)
        sum = sum + chain_->hidden(k, x);
    return torch::matmul(sum, loraB.t()) * scale_;
}

void ResLoraAdapterImpl::record(torch::Tensor &window, const torch::Tensor &value)
{
    // Oldest slot out, newest in; no host round trip (the GPU never waits).
    torch::NoGradGuard noGrad;
    const auto size = window.size(0);
    window.copy_(torch::cat({window.narrow(0, 1, size - 1), value.reshape({1}).to(window.options())}));
}

double ResLoraAdapterImpl::meanInputNorm() const
{
    return windowMean(inputNormWindow);
}

double ResLoraAdapterImpl::meanHiddenNorm() const
{
    return windowMean(hiddenNormWindow);
}

std::optional<torch::Tensor> ResLoraAdapterImpl::denseDelta() const
{
    const auto merged = mergeResLoraBlock(*chain_, position_);
    return torch::matmul(merged.loraB, merged.loraA) * merged.scale;
}

AdapterFactory makeResLoraFactory(const std::vector<AdapterSite> &sites, const LoraOptions &lora,
                                  const ResLoraConfig &config)
{
    std::map<std::string, std::shared_ptr<ResLoraChain>> chainOf; // by path
    for (auto &plan : planResLoraChains(sites, config.mlpChain == "up_down")) {
        auto chain = std::make_shared<ResLoraChain>(plan);
        for (const auto &path : plan.paths)
            chainOf[path] = chain;
    }
    return [chainOf, lora, config](const AdapterSite &site, const AdapterConfig &) -> std::shared_ptr<AdapterImpl> {
        const auto found = chainOf.find(site.path);
        if (found == chainOf.end())
            throw Error(site.path, "this layer was not among the sites its ResLoRA chains were planned for");
        const auto &chain = found->second;
        const auto position = chain->position(site.path);
        auto adapter
            = std::make_shared<ResLoraAdapterImpl>(site.inFeatures, site.outFeatures, lora, config, chain, position);
        chain->bind(position, adapter, site.linear);
        return adapter;
    };
}

} // namespace lwb
