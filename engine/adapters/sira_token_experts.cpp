// See sira_token_experts.h.
#include "engine/adapters/sira_token_experts.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/sira_adapter.h"
#include "engine/core/error.h"

namespace lwb {

namespace {

std::vector<double> rowOf(const torch::Tensor &values, std::int64_t index)
{
    const auto row = values[index].to(torch::kCPU, torch::kFloat64).contiguous();
    return {row.data_ptr<double>(), row.data_ptr<double>() + row.numel()};
}

} // namespace

std::vector<TokenExperts> lastTokenExperts(torch::nn::Module &model, std::int64_t row, std::int64_t rows)
{
    if (rows < 1 || row < 0 || row >= rows)
        throw Error("SiRA routing", "row " + std::to_string(row) + " is not one of " + std::to_string(rows));
    std::vector<TokenExperts> out;
    for (const auto &entry : adaptedLayers(model)) {
        const auto sira = std::dynamic_pointer_cast<SiraAdapterImpl>(entry.layer->adapter());
        if (!sira)
            continue;
        const auto &routing = sira->lastRouting();
        if (!routing.experts.defined())
            continue;
        const auto tokens = routing.experts.size(0);
        if (tokens == 0 || tokens % rows != 0)
            throw Error(entry.site.path, "the last forward routed " + std::to_string(tokens)
                                             + " tokens, not a multiple of " + std::to_string(rows) + " rows");
        const auto index = (row + 1) * (tokens / rows) - 1; // the row's last position
        TokenExperts token;
        token.layer = entry.site.path;
        const auto experts = routing.experts[index].to(torch::kCPU).contiguous();
        token.experts.assign(experts.data_ptr<std::int64_t>(), experts.data_ptr<std::int64_t>() + experts.numel());
        token.gates = rowOf(routing.gates, index);
        token.routerProbs = rowOf(routing.probs.detach(), index);
        out.push_back(std::move(token));
    }
    return out;
}

} // namespace lwb
