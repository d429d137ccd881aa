// See dlp_evaluation.h.
#include "engine/dlp/dlp_evaluation.h"

#include "engine/core/error.h"
#include "engine/eval/evaluator.h"

#include <algorithm>
#include <iterator>

namespace lwb {

namespace {

std::int64_t taskIndex(const std::vector<std::string> &tasks, const std::string &task)
{
    const auto found = std::find(tasks.begin(), tasks.end(), task);
    if (found == tasks.end())
        throw Error("DLP evaluation", "example of task \"" + task + "\", for which the library has no LoRA");
    return found - tasks.begin();
}

} // namespace

std::map<std::string, double> exactMatchOf(const SequenceFormat &format, const std::vector<TaskExample> &examples,
                                           const std::vector<RoutedGeneration> &generations)
{
    std::vector<GeneratedAnswer> answers;
    answers.reserve(generations.size());
    for (const auto &generation : generations)
        answers.push_back({generation.text, generation.finished});
    return exactMatchShares(format, examples, answers);
}

FusionScores fusionExactMatch(CausalLMImpl &model, const FusedAdapters &adapters, DlpRouter &router,
                              const std::vector<std::string> &tasks, const SequenceFormat &format,
                              const std::vector<TaskExample> &examples, const RoutedGenerationOptions &options,
                              const torch::Device &device, const DlpEvalProgress &progress, std::int64_t chunk)
{
    router.resetCounts();
    const auto n = static_cast<std::size_t>(router.tasks());
    FusionScores scores;
    scores.selectionsByTask.assign(n, std::vector<std::int64_t>(n, 0));
    std::vector<RoutedGeneration> generations;
    std::int64_t selected = 0;
    const auto total = static_cast<std::int64_t>(examples.size());
    for (std::int64_t start = 0; start < total; start += std::max<std::int64_t>(1, chunk)) {
        const auto end = std::min(total, start + std::max<std::int64_t>(1, chunk));
        std::vector<std::string> prompts;
        for (auto i = start; i < end; ++i)
            prompts.push_back(examples[static_cast<std::size_t>(i)].prompt);
        auto part = generateRouted(model, adapters, router, format, prompts, options, device);
        for (std::int64_t i = start; i < end; ++i) {
            const auto &generation = part[static_cast<std::size_t>(i - start)];
            const auto truth = taskIndex(tasks, examples[static_cast<std::size_t>(i)].task);
            for (const auto lora : generation.segments.front().selected)
                ++scores.selectionsByTask[static_cast<std::size_t>(truth)][static_cast<std::size_t>(lora)];
            for (const auto &segment : generation.segments)
                selected += static_cast<std::int64_t>(segment.selected.size());
        }
        generations.insert(generations.end(), std::make_move_iterator(part.begin()),
                           std::make_move_iterator(part.end()));
        if (progress)
            progress(end, total, router.selectionCounts());
    }
    scores.exactMatch = exactMatchOf(format, examples, generations);
    scores.selectionCounts = router.selectionCounts();
    scores.decisions = router.decisions();
    scores.meanSelected = scores.decisions > 0 ? double(selected) / double(scores.decisions) : 0.0;
    return scores;
}

std::map<std::string, double> oracleExactMatch(CausalLMImpl &model, const FusedAdapters &adapters,
                                               const std::vector<std::string> &tasks, const SequenceFormat &format,
                                               const std::vector<TaskExample> &examples, std::int64_t maxNewTokens,
                                               const torch::Device &device)
{
    auto weights = torch::zeros({static_cast<std::int64_t>(examples.size()), static_cast<std::int64_t>(tasks.size())},
                                torch::kFloat64);
    std::vector<std::string> prompts;
    for (std::size_t i = 0; i < examples.size(); ++i) {
        weights[static_cast<std::int64_t>(i)][taskIndex(tasks, examples[i].task)] = 1.0;
        prompts.push_back(examples[i].prompt);
    }
    return exactMatchOf(format, examples,
                        generateWithWeights(model, adapters, weights, format, prompts, maxNewTokens, device));
}

} // namespace lwb
