// DLP-LoRA's selection rule: from the plugin's task probabilities to the set
// of task LoRAs to fuse and their fusion weights (arXiv 2410.01497, §3; the
// reference code MeCuping/DLP-LoRA).
//
// Top-p: sort p descending; keep the smallest prefix whose cumulative sum
// reaches P (sum >= P): the item that crosses P is kept, and the top item
// always is, whatever P. Top-k: keep the first k of the same order.
// Fusion weights over the kept items:
//   softmax      w_i = exp(p_i) / sum_kept exp(p_j)   (the reference code:
//                softmax of the kept probabilities, not of the logits, so the
//                weights are much flatter than p)
//   renormalize  w_i = p_i / sum_kept p_j
// Unkept items get weight 0. The weights always sum to 1.
//
// Ties: the sort is stable on the task index, so of equal probabilities the
// lower index comes first, and a prefix that reaches P inside a run of ties
// keeps only the tied items it needs (never "all the ties"): the result is a
// deterministic function of the probabilities. When rounding keeps the total
// below P (P = 1 with probabilities summing to 1 - 1e-16), every item is kept.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lwb {

enum class DlpRule { TopP, TopK };
enum class DlpWeighting { Softmax, Renormalize };

struct DlpSelectionOptions
{
    DlpRule rule = DlpRule::TopP;
    double p = 0.6;
    std::int64_t k = 2;
    DlpWeighting weighting = DlpWeighting::Softmax;
};

// From the config's strings ("top_p"/"top_k", "softmax"/"renormalize").
DlpSelectionOptions selectionOptions(const std::string &rule, double p, std::int64_t k, const std::string &weights);

struct DlpSelection
{
    std::vector<std::int64_t> selected; // task indices, most probable first
    std::vector<double> weights;        // fusion weight of each selected index, same order; sums to 1
};

// probabilities: one distribution over the N tasks (non-negative).
DlpSelection selectTasks(const std::vector<double> &probabilities, const DlpSelectionOptions &options);

// The rule row by row: probabilities [B, N] -> dense fusion weights [B, N]
// (float64, zero for tasks not selected).
torch::Tensor fusionWeights(const torch::Tensor &probabilities, const DlpSelectionOptions &options);

} // namespace lwb
