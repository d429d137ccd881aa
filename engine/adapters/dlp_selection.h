// DLP-LoRA's selection rule: from the plugin's task probabilities to the set
// of task LoRAs to fuse and their fusion weights (arXiv 2410.01497, §3; the
// reference code MeCuping/DLP-LoRA).
//
// Top-p: sort p descending; item i of that order is kept while the
// cumulative sum of the items before it is <= P (the reference code,
// srcClassifier/ClassifierModel.py, ClassifierOutput "topp": mask = cumsum
// <= P, shifted right by one, mask[0] = 1). So the item that crosses P is
// kept, and where the sum reaches P exactly the next item is kept too
// (TopPAtEqual::KeepNext); StopAt stops there instead (sum >= P, the
// smallest prefix reaching P). The top item always is kept.
// Top-k: keep the first k of the same order.
// Fusion weights over the kept items:
//   reference    what the reference code does for the rule: top_k the
//                softmax of the top-k logits (ClassifierOutput "topk"), which
//                equals p_i / sum_kept p_j; top_p the softmax of the kept
//                probabilities
//   softmax      w_i = exp(p_i) / sum_kept exp(p_j), for both rules (much
//                flatter than p)
//   renormalize  w_i = p_i / sum_kept p_j (= softmax of the kept logits)
// Unkept items get weight 0. The weights always sum to 1.
//
// Ties of the sort: stable on the task index, so of equal probabilities the
// lower index comes first, and a prefix that stops inside a run of ties
// keeps only the tied items the rule reaches (never "all the ties"): the
// result is a deterministic function of the probabilities (the reference's
// torch.sort leaves their order unspecified). When rounding keeps the total
// at or below P, every item is kept.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lwb {

enum class DlpRule { TopP, TopK };
enum class DlpWeighting { Reference, Softmax, Renormalize };
enum class TopPAtEqual { KeepNext, StopAt };

struct DlpSelectionOptions
{
    DlpRule rule = DlpRule::TopP;
    double p = 0.6;
    std::int64_t k = 2;
    DlpWeighting weighting = DlpWeighting::Reference;
    TopPAtEqual atEqual = TopPAtEqual::KeepNext;
};

// From the config's strings ("top_p"/"top_k"; "reference"/"softmax"/
// "renormalize"; "keep_next"/"stop").
DlpSelectionOptions selectionOptions(const std::string &rule, double p, std::int64_t k, const std::string &weights,
                                     const std::string &topPAtEqual = "keep_next");

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
