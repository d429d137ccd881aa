// See eval_sync.h.
#include "engine/dist/eval_sync.h"

#include <torch/torch.h>

#include <cmath>
#include <set>

namespace lwb {

void sumEvalLoss(EvalMetrics &metrics, Communicator &communicator)
{
    if (!communicator.distributed())
        return;
    auto sums = torch::tensor({metrics.loss * static_cast<double>(metrics.tokens), static_cast<double>(metrics.tokens)},
                              torch::kFloat64);
    communicator.sumInPlace(sums, "the evaluation loss");
    metrics.tokens = static_cast<std::int64_t>(sums[1].item<double>());
    metrics.loss = metrics.tokens > 0 ? sums[0].item<double>() / static_cast<double>(metrics.tokens) : 0.0;
    metrics.perplexity = std::exp(metrics.loss);
}

void sumExactMatch(std::map<std::string, double> &byTask, const std::vector<TaskExample> &mine,
                   const std::vector<TaskExample> &all, Communicator &communicator)
{
    if (!communicator.distributed())
        return;
    // Every rank packs the same task order: the tasks of the whole set.
    std::set<std::string> tasks;
    for (const auto &example : all)
        tasks.insert(example.task);
    std::map<std::string, std::int64_t> myTotals;
    for (const auto &example : mine)
        ++myTotals[example.task];
    std::vector<double> packed; // per task: correct, total
    for (const auto &task : tasks) {
        const auto total = static_cast<double>(myTotals[task]);
        const auto found = byTask.find(task);
        packed.push_back(found == byTask.end() ? 0.0 : std::round(found->second * total));
        packed.push_back(total);
    }
    auto sums = torch::tensor(packed, torch::kFloat64);
    communicator.sumInPlace(sums, "the exact-match counts");
    byTask.clear();
    std::size_t i = 0;
    for (const auto &task : tasks) {
        const double correct = sums[static_cast<std::int64_t>(i)].item<double>();
        const double total = sums[static_cast<std::int64_t>(i + 1)].item<double>();
        i += 2;
        if (total > 0.0)
            byTask[task] = correct / total;
    }
}

} // namespace lwb
