// StepMetrics and EvalMetrics: the values one optimiser step or one evaluation
// produces. Plain values, no torch, so storage/ and ui/ can carry them (they
// travel in queued Qt signals as registered metatypes).
#pragma once

#include "engine/adapters/adapter_stats.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lwb {

struct StepMetrics
{
    std::int64_t step = 0; // 1-based index of the optimiser step just taken
    std::int64_t totalSteps = 0;
    std::int64_t tokens = 0;      // non-padding training tokens seen so far (all micro-batches)
    double loss = 0.0;            // mean token cross-entropy of this step (without aux loss)
    double learningRate = 0.0;    // learning rate used for this step
    double gradNorm = 0.0;        // global L2 norm of the adapter gradients before clipping
    double tokensPerSecond = 0.0; // throughput of this step (the whole job's tokens)
    // A data-parallel run (engine/dist): each rank's own throughput this
    // step, its rows' tokens over its step time, by rank; empty when alone.
    std::vector<double> rankTokensPerSecond;
    std::int64_t peakMemoryBytes = 0; // peak resident memory (CPU) or allocated memory (CUDA)
    double wallSeconds = 0.0;         // seconds since the run started
    // training.precision "fp16" (engine/train/loss_scaler.h): the loss scale
    // this step used (0 without scaling) and whether its update was skipped
    // because the scaled gradients overflowed (then gradNorm is 0).
    double lossScale = 0.0;
    bool stepSkipped = false;
    AdapterStats adapter;
};

// The one evaluation of a DLP-LoRA study (engine/dlp): EvalMetrics'
// exactMatchByTask holds the plugin's fusion; these are the columns it is
// compared with, the plugin's own figures and the two matrices, rows and
// columns in library order (tasks[i] is LoRA i and plugin class i).
struct DlpStudyEval
{
    std::vector<std::string> tasks;
    std::map<std::string, double> ownExactMatch;       // each task LoRA on its task, after its own training
    std::map<std::string, double> oracleExactMatch;    // the true task's LoRA alone, in the fused model
    std::map<std::string, double> multiTaskExactMatch; // one LoRA of the library's total rank on all tasks
    std::int64_t multiTaskRank = 0;
    double pluginAccuracy = 0.0; // held-out prompts
    std::int64_t pluginExamples = 0;
    std::int64_t pluginParameters = 0;
    std::vector<std::vector<double>> pluginConfusion; // [true task][predicted task] counts
    std::vector<std::vector<double>> selections; // [true task][LoRA]: times selected for its prompts' first decision
    std::vector<double> selectionCounts;         // [LoRA]: times selected over every routing decision
    double meanSelected = 0.0;                   // LoRAs fused per routing decision
};

struct EvalMetrics
{
    std::int64_t step = 0;
    double loss = 0.0;                              // mean token cross-entropy over the evaluation set
    double perplexity = 0.0;                        // exp(loss)
    std::int64_t tokens = 0;                        // tokens scored
    std::map<std::string, double> exactMatchByTask; // greedy answer == reference, per task
    // Routed adapters (SiRA): per task, the share of its tokens' expert
    // assignments that went to each expert, over all adapted layers.
    std::map<std::string, std::vector<double>> expertShareByTask;
    // Variants trained in one form and merged into plain LoRA for inference
    // (ResLoRA): the same evaluation repeated on the merged model, final
    // evaluation only.
    bool hasMergedEval = false;
    double mergedLoss = 0.0;
    double mergedPerplexity = 0.0;
    std::map<std::string, double> mergedExactMatchByTask{};
    // A DLP-LoRA study's evaluation: no loss is computed (tokens == 0), the
    // scores are exact matches.
    std::optional<DlpStudyEval> dlp{};
};

} // namespace lwb
