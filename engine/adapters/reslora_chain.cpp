// See reslora_chain.h.
#include "engine/adapters/reslora_chain.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/core/error.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace lwb {

std::string resLoraChainKey(const std::string &path, std::int64_t block)
{
    if (block < 0)
        return path;
    // The first path component that is the block number (the one after
    // ".h." or ".layers.", where the registry read it).
    const std::string number = std::to_string(block);
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find('.', start);
        if (end == std::string::npos)
            end = path.size();
        if (path.compare(start, end - start, number) == 0)
            return path.substr(0, start) + "*" + path.substr(end);
        start = end + 1;
    }
    return path;
}

std::vector<ResLoraChainPlan> planResLoraChains(const std::vector<AdapterSite> &sites, bool linkUpDown)
{
    struct Member
    {
        std::int64_t block;
        std::size_t site;
    };
    std::vector<std::string> order;
    std::map<std::string, std::vector<Member>> members;
    for (std::size_t i = 0; i < sites.size(); ++i) {
        auto key = resLoraChainKey(sites[i].path, sites[i].block);
        if (linkUpDown && (sites[i].leafName == "up_proj" || sites[i].leafName == "down_proj"))
            key = key.substr(0, key.rfind('.') + 1) + "{up_proj,down_proj}";
        if (!members.count(key))
            order.push_back(key);
        members[key].push_back({sites[i].block, i});
    }
    std::vector<ResLoraChainPlan> plans;
    for (const auto &key : order) {
        auto &list = members[key];
        std::stable_sort(list.begin(), list.end(), [](const Member &a, const Member &b) { return a.block < b.block; });
        ResLoraChainPlan plan;
        plan.key = key;
        for (std::size_t n = 0; n < list.size(); ++n) {
            const auto &site = sites[list[n].site];
            plan.paths.push_back(site.path);
            std::int64_t previous = -1;
            if (n > 0) {
                const auto &before = sites[list[n - 1].site];
                if (before.inFeatures == site.inFeatures && before.outFeatures == site.outFeatures)
                    previous = static_cast<std::int64_t>(n) - 1;
            }
            plan.previous.push_back(previous);
        }
        plans.push_back(std::move(plan));
    }
    return plans;
}

ResLoraChain::ResLoraChain(ResLoraChainPlan plan)
    : plan_(std::move(plan))
    , adapters_(plan_.paths.size())
    , linears_(plan_.paths.size())
    , inputs_(plan_.paths.size())
    , hiddens_(plan_.paths.size())
{
}

std::int64_t ResLoraChain::position(const std::string &path) const
{
    const auto found = std::find(plan_.paths.begin(), plan_.paths.end(), path);
    return found == plan_.paths.end() ? -1 : static_cast<std::int64_t>(found - plan_.paths.begin());
}

std::vector<std::int64_t> ResLoraChain::predecessors(std::int64_t position, std::int64_t count) const
{
    std::vector<std::int64_t> out;
    for (auto at = plan_.previous[static_cast<std::size_t>(position)];
         at >= 0 && (count < 0 || static_cast<std::int64_t>(out.size()) < count);
         at = plan_.previous[static_cast<std::size_t>(at)])
        out.push_back(at);
    return out;
}

void ResLoraChain::bind(std::int64_t position, std::weak_ptr<ResLoraAdapterImpl> adapter,
                        std::weak_ptr<AdaptedLinearImpl> linear)
{
    adapters_[static_cast<std::size_t>(position)] = std::move(adapter);
    linears_[static_cast<std::size_t>(position)] = std::move(linear);
}

ResLoraAdapterImpl &ResLoraChain::adapter(std::int64_t position) const
{
    auto adapter = adapters_[static_cast<std::size_t>(position)].lock();
    if (!adapter)
        throw Error(plan_.paths[static_cast<std::size_t>(position)],
                    "this ResLoRA block's adapter no longer exists, so its chain cannot be evaluated");
    // The adapter's owner (its layer) keeps it alive; the chain never owns it.
    return *adapter;
}

std::shared_ptr<AdaptedLinearImpl> ResLoraChain::linear(std::int64_t position) const
{
    return linears_[static_cast<std::size_t>(position)].lock();
}

void ResLoraChain::beginForward()
{
    std::fill(inputs_.begin(), inputs_.end(), torch::Tensor());
    std::fill(hiddens_.begin(), hiddens_.end(), torch::Tensor());
}

void ResLoraChain::keepInput(std::int64_t position, const torch::Tensor &input)
{
    inputs_[static_cast<std::size_t>(position)] = input;
}

void ResLoraChain::keepHidden(std::int64_t position, const torch::Tensor &hidden)
{
    hiddens_[static_cast<std::size_t>(position)] = hidden;
}

const torch::Tensor &ResLoraChain::input(std::int64_t position, const torch::Tensor &like) const
{
    return kept(inputs_, position, like, "input");
}

const torch::Tensor &ResLoraChain::hidden(std::int64_t position, const torch::Tensor &like) const
{
    return kept(hiddens_, position, like, "A x");
}

const torch::Tensor &ResLoraChain::kept(const std::vector<torch::Tensor> &tensors, std::int64_t position,
                                        const torch::Tensor &like, const char *what) const
{
    const auto &tensor = tensors[static_cast<std::size_t>(position)];
    const auto &path = plan_.paths[static_cast<std::size_t>(position)];
    if (!tensor.defined())
        throw Error(path, std::string("ResLoRA needs this block's ") + what
                              + " of the current forward pass, but it has not run since beginForward(): blocks of a "
                                "chain must run in layer order within one whole-model forward");
    if (tensor.sizes().slice(0, tensor.dim() - 1) != like.sizes().slice(0, like.dim() - 1)) {
        std::ostringstream text;
        text << "ResLoRA shortcut from this block has leading shape " << tensor.sizes().slice(0, tensor.dim() - 1)
             << ", the next block's input has " << like.sizes().slice(0, like.dim() - 1);
        throw Error(path, text.str());
    }
    return tensor;
}

} // namespace lwb
