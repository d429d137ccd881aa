// What one StepMetrics / EvalMetrics becomes in the store: named scalar
// samples, per-layer vector samples and evaluation rows.
//
// Series names are the store's vocabulary, shared with the UI's plots:
//   train/loss  train/lr  train/grad_norm  train/tokens_per_s  train/tokens
//   train/peak_memory (when reported)  train/aux_loss (mixture adapters)
//   routing/entropy, routing/dropped_fraction: means over the routed layers
//   routing/entropy/<layer>, routing/dropped_fraction/<layer>: per layer
//   routing/expert_load (vector, one per layer): share of assignments per expert
//   eval/loss  eval/perplexity  eval/exact_match/<task>
//   eval/merged_loss  eval/merged_perplexity  eval/merged_exact_match/<task>:
//     the final evaluation repeated after merging (ResLoRA into plain LoRA)
//   A DLP-LoRA study (one evaluation, no loss): eval/exact_match/<task> is
//   the plugin's fusion; eval/own_exact_match/<task>,
//   eval/oracle_exact_match/<task>, eval/multi_task_exact_match/<task>,
//   eval/plugin_accuracy; vectors eval/plugin_confusion and
//   eval/lora_selection, one per true task (row key = task), and
//   eval/lora_selection_total (row "all", every routing decision), columns in
//   library order (adapter.dlp.library, or data.tasks); evaluation rows
//   (task, "library_index") record that order.
// Evaluation rows: task "all" with metrics loss, perplexity, tokens, and one
// row per task with metric exact_match; after a merge also "all" with
// merged_loss, merged_perplexity and per task merged_exact_match.
#pragma once

#include "engine/train/step_metrics.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lwb::storage {

namespace series {
inline constexpr char kTrainLoss[] = "train/loss";
inline constexpr char kLearningRate[] = "train/lr";
inline constexpr char kGradNorm[] = "train/grad_norm";
inline constexpr char kTokensPerSecond[] = "train/tokens_per_s";
inline constexpr char kTokens[] = "train/tokens";
inline constexpr char kPeakMemory[] = "train/peak_memory";
inline constexpr char kAuxLoss[] = "train/aux_loss";
inline constexpr char kRoutingEntropy[] = "routing/entropy";
inline constexpr char kMeanRoutingEntropy[] = "routing/mean_entropy"; // entropy of the mean distribution
inline constexpr char kDroppedFraction[] = "routing/dropped_fraction";
inline constexpr char kExpertLoad[] = "routing/expert_load";
inline constexpr char kEvalLoss[] = "eval/loss";
inline constexpr char kEvalPerplexity[] = "eval/perplexity";
inline constexpr char kEvalExactMatchPrefix[] = "eval/exact_match/";
inline constexpr char kEvalMergedLoss[] = "eval/merged_loss";
inline constexpr char kEvalMergedPerplexity[] = "eval/merged_perplexity";
inline constexpr char kEvalMergedExactMatchPrefix[] = "eval/merged_exact_match/";
inline constexpr char kEvalOwnExactMatchPrefix[] = "eval/own_exact_match/";
inline constexpr char kEvalOracleExactMatchPrefix[] = "eval/oracle_exact_match/";
inline constexpr char kEvalMultiTaskExactMatchPrefix[] = "eval/multi_task_exact_match/";
inline constexpr char kPluginAccuracy[] = "eval/plugin_accuracy";
inline constexpr char kPluginConfusion[] = "eval/plugin_confusion";        // vector per true task
inline constexpr char kLoraSelection[] = "eval/lora_selection";            // vector per true task
inline constexpr char kLoraSelectionTotal[] = "eval/lora_selection_total"; // one vector (row "all"): every decision
inline constexpr char kTaskExpertShare[] = "eval/task_expert_share";       // vector per task (row key = task)
} // namespace series

// Whether a larger value of the series is the better one (for "best" values):
// accuracies, throughput and the token counter yes; losses, norms, memory no.
bool higherIsBetter(const std::string &seriesName);

struct ScalarSample
{
    std::string series;
    std::int64_t step = 0;
    double value = 0.0;
    double wallSeconds = 0.0;
};

struct VectorSample
{
    std::string series;
    std::string layer;
    std::int64_t step = 0;
    std::vector<float> values;
    double wallSeconds = 0.0;
};

struct EvaluationSample
{
    std::int64_t step = 0;
    std::string task;
    std::string metric;
    double value = 0.0;
};

struct SampleBatch
{
    std::vector<ScalarSample> scalars;
    std::vector<VectorSample> vectors;
    std::vector<EvaluationSample> evaluations;

    std::size_t size() const { return scalars.size() + vectors.size() + evaluations.size(); }
    void clear();
};

// How many samples appendSamples(metrics, ...) adds, without building them.
std::size_t sampleCount(const StepMetrics &metrics);

void appendSamples(const StepMetrics &metrics, SampleBatch &batch);
void appendSamples(const EvalMetrics &metrics, double wallSeconds, SampleBatch &batch);

} // namespace lwb::storage
