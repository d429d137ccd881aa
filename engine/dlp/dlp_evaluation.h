// Evaluation of DLP-LoRA on held-out task examples: per-task exact match
// (greedy answer == reference, as engine/eval/evaluator.h) with
//   fusion  the plugin's selection and weights (per input or per sentence),
//   oracle  the example's true task LoRA alone at weight 1,
// plus how often the router selected each task LoRA. The third column of
// the study, one multi-task LoRA of equal total rank, is an ordinary LoRA
// run evaluated by exactMatchByTask (see dlp_study.h).
#pragma once

#include "engine/data/task_generator.h"
#include "engine/dlp/routed_generation.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lwb {

// Called after each chunk of examples: (examples done, total, selection counts so far).
using DlpEvalProgress
    = std::function<void(std::int64_t done, std::int64_t total, const std::vector<std::int64_t> &selectionCounts)>;

struct FusionScores
{
    std::map<std::string, double> exactMatch;  // per task
    std::vector<std::int64_t> selectionCounts; // per task LoRA, over all routing decisions
    std::int64_t decisions = 0;                // routing decisions (prompts, plus sentence starts)
    double meanSelected = 0.0;                 // LoRAs fused per decision
    // Per true task, how often each LoRA was selected for its prompts'
    // first decision: [true task][LoRA].
    std::vector<std::vector<std::int64_t>> selectionsByTask;
};

// Exact match per task of generations against their examples (same order),
// by the evaluator's rule (exactMatchShares).
std::map<std::string, double> exactMatchOf(const SequenceFormat &format, const std::vector<TaskExample> &examples,
                                           const std::vector<RoutedGeneration> &generations);

// chunk: examples per progress report (and per call of the generator).
FusionScores fusionExactMatch(CausalLMImpl &model, const FusedAdapters &adapters, DlpRouter &router,
                              const std::vector<std::string> &tasks, const SequenceFormat &format,
                              const std::vector<TaskExample> &examples, const RoutedGenerationOptions &options,
                              const torch::Device &device, const DlpEvalProgress &progress = {},
                              std::int64_t chunk = 64);

// tasks: the library order (task i = LoRA i). Throws lwb::Error for an
// example whose task has no LoRA.
std::map<std::string, double> oracleExactMatch(CausalLMImpl &model, const FusedAdapters &adapters,
                                               const std::vector<std::string> &tasks, const SequenceFormat &format,
                                               const std::vector<TaskExample> &examples, std::int64_t maxNewTokens,
                                               const torch::Device &device);

} // namespace lwb
