// DlpRouter: turns the plugin's reading of a context into the fusion weights
// of the task LoRAs (arXiv 2410.01497, §3.1-3.2): p = softmax(plugin logits),
// then the selection rule of engine/adapters/dlp_selection.h (top-p with
// P = 0.6 by default). It counts how often each task LoRA is selected, one
// count per routing decision and sequence, for the evaluation's per-LoRA
// selection figures.
//
// The probabilities come through a function, so that the router serves the
// trained plugin (pluginProbabilities) and, in tests, a scripted reader.
#pragma once

#include "engine/adapters/dlp_selection.h"
#include "engine/dlp/plugin_classifier.h"

#include <functional>
#include <vector>

namespace lwb {

// ids [B, T] int64 (right-padded), mask [B, T] bool -> probabilities [B, N].
using TaskProbabilityFn = std::function<torch::Tensor(const torch::Tensor &ids, const torch::Tensor &mask)>;

// softmax of the plugin's logits, in eval mode without gradients.
TaskProbabilityFn pluginProbabilities(DlpPlugin plugin);

struct RoutingDecision
{
    torch::Tensor probabilities;          // [B, N] float64
    torch::Tensor weights;                // [B, N] float64, zero where not selected
    std::vector<DlpSelection> selections; // per sequence
};

class DlpRouter
{
public:
    DlpRouter(TaskProbabilityFn probabilities, std::int64_t tasks, DlpSelectionOptions options);

    // contexts: token ids of each sequence (BOS included), any lengths.
    RoutingDecision route(const std::vector<std::vector<std::int64_t>> &contexts, std::int64_t padId);

    std::int64_t tasks() const { return tasks_; }
    const DlpSelectionOptions &options() const { return options_; }
    // Times each task LoRA was selected since construction or the last reset.
    const std::vector<std::int64_t> &selectionCounts() const { return counts_; }
    std::int64_t decisions() const { return decisions_; }
    void resetCounts();

private:
    TaskProbabilityFn probabilities_;
    std::int64_t tasks_;
    DlpSelectionOptions options_;
    std::vector<std::int64_t> counts_;
    std::int64_t decisions_ = 0;
};

} // namespace lwb
