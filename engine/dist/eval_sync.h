// Sharded evaluation for data-parallel runs: each rank evaluates its share
// of the held-out set and the figures are summed over the ranks, so N ranks
// report what one process reports (the loss to float rounding, exact-match
// counts exactly: batched greedy decoding does not depend on which prompts
// share a batch, tests/engine/test_batched_generation).
//
// The loss pass of a variant that reports routing (SiRA) is not sharded:
// its per-task expert shares cannot be summed from per-rank shares, and the
// loss pass is the cheap half; its exact match, the expensive half, is.
#pragma once

#include "engine/data/task_generator.h"
#include "engine/dist/communicator.h"
#include "engine/train/step_metrics.h"

#include <map>
#include <string>
#include <vector>

namespace lwb {

// Rank r's contiguous share [n*r/N, n*(r+1)/N) of `items` (all of them alone).
template <class T> std::vector<T> shareOfRank(const std::vector<T> &items, const Communicator &communicator)
{
    const auto n = items.size();
    const auto ranks = static_cast<std::size_t>(communicator.worldSize());
    const auto rank = static_cast<std::size_t>(communicator.rank());
    return {items.begin() + static_cast<std::ptrdiff_t>(n * rank / ranks),
            items.begin() + static_cast<std::ptrdiff_t>(n * (rank + 1) / ranks)};
}

// Loss, perplexity and scored tokens of the whole set from each rank's share.
void sumEvalLoss(EvalMetrics &metrics, Communicator &communicator);

// Per-task exact match of `all` examples from each rank's shares of its
// `mine` examples (shareOfRank(all)); `byTask` in, the whole set's out.
void sumExactMatch(std::map<std::string, double> &byTask, const std::vector<TaskExample> &mine,
                   const std::vector<TaskExample> &all, Communicator &communicator);

} // namespace lwb
