// See dlp_router.h.
#include "engine/dlp/dlp_router.h"

#include "engine/core/error.h"

#include <algorithm>
#include <sstream>
#include <utility>

namespace lwb {

TaskProbabilityFn pluginProbabilities(DlpPlugin plugin)
{
    return [plugin = std::move(plugin)](const torch::Tensor &ids, const torch::Tensor &mask) mutable {
        torch::NoGradGuard noGrad;
        const bool wasTraining = plugin->is_training();
        plugin->eval();
        const auto device = plugin->parameters().front().device();
        auto probabilities = torch::softmax(plugin->forward(ids.to(device), mask.to(device)).to(torch::kFloat64), -1);
        plugin->train(wasTraining);
        return probabilities;
    };
}

DlpRouter::DlpRouter(TaskProbabilityFn probabilities, std::int64_t tasks, DlpSelectionOptions options)
    : probabilities_(std::move(probabilities))
    , tasks_(tasks)
    , options_(options)
    , counts_(static_cast<std::size_t>(tasks), 0)
{
    if (tasks < 1)
        throw Error("DLP router", "needs at least one task LoRA");
}

RoutingDecision DlpRouter::route(const std::vector<std::vector<std::int64_t>> &contexts, std::int64_t padId)
{
    RoutingDecision decision;
    const auto rows = static_cast<std::int64_t>(contexts.size());
    if (rows == 0)
        return decision;
    std::size_t longest = 1;
    for (const auto &context : contexts)
        longest = std::max(longest, context.size());
    auto ids = torch::full({rows, static_cast<std::int64_t>(longest)}, padId, torch::kInt64);
    auto mask = torch::zeros({rows, static_cast<std::int64_t>(longest)}, torch::kBool);
    auto idsAccess = ids.accessor<std::int64_t, 2>();
    auto maskAccess = mask.accessor<bool, 2>();
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto &context = contexts[static_cast<std::size_t>(r)];
        for (std::size_t t = 0; t < context.size(); ++t) {
            idsAccess[r][static_cast<std::int64_t>(t)] = context[t];
            maskAccess[r][static_cast<std::int64_t>(t)] = true;
        }
    }
    decision.probabilities = probabilities_(ids, mask).detach().to(torch::kCPU, torch::kFloat64).contiguous();
    if (decision.probabilities.dim() != 2 || decision.probabilities.size(0) != rows
        || decision.probabilities.size(1) != tasks_) {
        std::ostringstream shape;
        shape << decision.probabilities.sizes();
        throw Error("DLP router", "the plugin gave probabilities of shape " + shape.str() + " for "
                                      + std::to_string(rows) + " contexts and " + std::to_string(tasks_)
                                      + " task LoRAs");
    }
    decision.weights = torch::zeros({rows, tasks_}, torch::kFloat64);
    const auto *p = decision.probabilities.data_ptr<double>();
    auto *w = decision.weights.data_ptr<double>();
    for (std::int64_t r = 0; r < rows; ++r) {
        auto selection = selectTasks(std::vector<double>(p + r * tasks_, p + (r + 1) * tasks_), options_);
        for (std::size_t i = 0; i < selection.selected.size(); ++i) {
            w[r * tasks_ + selection.selected[i]] = selection.weights[i];
            ++counts_[static_cast<std::size_t>(selection.selected[i])];
        }
        decision.selections.push_back(std::move(selection));
        ++decisions_;
    }
    return decision;
}

void DlpRouter::resetCounts()
{
    std::fill(counts_.begin(), counts_.end(), 0);
    decisions_ = 0;
}

} // namespace lwb
