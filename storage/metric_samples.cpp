// StepMetrics / EvalMetrics -> samples (series names in the header).
#include "storage/metric_samples.h"

namespace lwb::storage {

bool higherIsBetter(const std::string &seriesName)
{
    if (seriesName == series::kTokens)
        return true; // a counter: "best" is the furthest it got
    for (const char *word : {"exact_match", "accuracy", "tokens_per_s"}) {
        if (seriesName.find(word) != std::string::npos)
            return true;
    }
    return false;
}

void SampleBatch::clear()
{
    scalars.clear();
    vectors.clear();
    evaluations.clear();
}

std::size_t sampleCount(const StepMetrics &metrics)
{
    std::size_t count = 5; // loss, lr, grad norm, tokens/s, tokens
    if (metrics.peakMemoryBytes > 0)
        ++count;
    const std::size_t layers = metrics.adapter.layers.size();
    if (layers > 0 || metrics.adapter.auxLoss != 0.0)
        ++count;
    if (layers > 0)
        count += 3 + 4 * layers; // three means; entropies, dropped fraction, expert load per layer
    return count;
}

void appendSamples(const StepMetrics &metrics, SampleBatch &batch)
{
    const std::int64_t step = metrics.step;
    const double wall = metrics.wallSeconds;
    auto scalar = [&](std::string name, double value) {
        batch.scalars.push_back(ScalarSample{std::move(name), step, value, wall});
    };
    scalar(series::kTrainLoss, metrics.loss);
    scalar(series::kLearningRate, metrics.learningRate);
    scalar(series::kGradNorm, metrics.gradNorm);
    scalar(series::kTokensPerSecond, metrics.tokensPerSecond);
    scalar(series::kTokens, static_cast<double>(metrics.tokens));
    if (metrics.peakMemoryBytes > 0)
        scalar(series::kPeakMemory, static_cast<double>(metrics.peakMemoryBytes));

    const auto &layers = metrics.adapter.layers;
    if (layers.empty() && metrics.adapter.auxLoss == 0.0)
        return;
    scalar(series::kAuxLoss, metrics.adapter.auxLoss);
    if (layers.empty())
        return;

    double entropySum = 0.0;
    double meanEntropySum = 0.0;
    std::int64_t routed = 0;
    std::int64_t dropped = 0;
    for (const LayerRoutingStats &layer : layers) {
        const double layerDropped = layer.routedTokens > 0 ? static_cast<double>(layer.droppedTokens)
                                                                 / static_cast<double>(layer.routedTokens)
                                                           : 0.0;
        scalar(std::string(series::kRoutingEntropy) + "/" + layer.layer, layer.routingEntropy);
        scalar(std::string(series::kMeanRoutingEntropy) + "/" + layer.layer, layer.meanRoutingEntropy);
        scalar(std::string(series::kDroppedFraction) + "/" + layer.layer, layerDropped);
        batch.vectors.push_back(VectorSample{series::kExpertLoad, layer.layer, step, layer.expertLoad, wall});
        entropySum += layer.routingEntropy;
        meanEntropySum += layer.meanRoutingEntropy;
        routed += layer.routedTokens;
        dropped += layer.droppedTokens;
    }
    scalar(series::kRoutingEntropy, entropySum / static_cast<double>(layers.size()));
    scalar(series::kMeanRoutingEntropy, meanEntropySum / static_cast<double>(layers.size()));
    scalar(series::kDroppedFraction, routed > 0 ? static_cast<double>(dropped) / static_cast<double>(routed) : 0.0);
}

namespace {

// A DLP-LoRA study's columns, figures and matrices (see the header).
void appendDlpSamples(const DlpStudyEval &dlp, std::int64_t step, double wallSeconds, SampleBatch &batch)
{
    const auto perTask = [&](const std::map<std::string, double> &scores, const char *prefix, const char *metric) {
        for (const auto &[task, score] : scores) {
            batch.scalars.push_back(ScalarSample{std::string(prefix) + task, step, score, wallSeconds});
            batch.evaluations.push_back(EvaluationSample{step, task, metric, score});
        }
    };
    perTask(dlp.ownExactMatch, series::kEvalOwnExactMatchPrefix, "own_exact_match");
    perTask(dlp.oracleExactMatch, series::kEvalOracleExactMatchPrefix, "oracle_exact_match");
    perTask(dlp.multiTaskExactMatch, series::kEvalMultiTaskExactMatchPrefix, "multi_task_exact_match");
    batch.scalars.push_back(ScalarSample{series::kPluginAccuracy, step, dlp.pluginAccuracy, wallSeconds});
    batch.evaluations.push_back(EvaluationSample{step, "all", "plugin_accuracy", dlp.pluginAccuracy});
    batch.evaluations.push_back(
        EvaluationSample{step, "all", "plugin_examples", static_cast<double>(dlp.pluginExamples)});
    batch.evaluations.push_back(EvaluationSample{step, "all", "mean_selected", dlp.meanSelected});
    batch.evaluations.push_back(
        EvaluationSample{step, "all", "multi_task_rank", static_cast<double>(dlp.multiTaskRank)});
    batch.evaluations.push_back(
        EvaluationSample{step, "all", "plugin_parameters", static_cast<double>(dlp.pluginParameters)});
    for (std::size_t t = 0; t < dlp.tasks.size(); ++t) // the matrices' column order
        batch.evaluations.push_back(EvaluationSample{step, dlp.tasks[t], "library_index", static_cast<double>(t)});
    const auto matrix = [&](const std::vector<std::vector<double>> &rows, const char *name) {
        for (std::size_t t = 0; t < rows.size() && t < dlp.tasks.size(); ++t) {
            const std::vector<float> values(rows[t].begin(), rows[t].end());
            batch.vectors.push_back(VectorSample{name, dlp.tasks[t], step, values, wallSeconds});
        }
    };
    matrix(dlp.pluginConfusion, series::kPluginConfusion);
    matrix(dlp.selections, series::kLoraSelection);
    if (!dlp.selectionCounts.empty())
        batch.vectors.push_back(VectorSample{series::kLoraSelectionTotal, "all", step,
                                             std::vector<float>(dlp.selectionCounts.begin(), dlp.selectionCounts.end()),
                                             wallSeconds});
}

} // namespace

void appendSamples(const EvalMetrics &metrics, double wallSeconds, SampleBatch &batch)
{
    const std::int64_t step = metrics.step;
    if (metrics.dlp) {
        appendDlpSamples(*metrics.dlp, step, wallSeconds, batch);
    } else { // a study computes no loss; a 0 would read as a perfect one
        batch.scalars.push_back(ScalarSample{series::kEvalLoss, step, metrics.loss, wallSeconds});
        batch.scalars.push_back(ScalarSample{series::kEvalPerplexity, step, metrics.perplexity, wallSeconds});
        batch.evaluations.push_back(EvaluationSample{step, "all", "loss", metrics.loss});
        batch.evaluations.push_back(EvaluationSample{step, "all", "perplexity", metrics.perplexity});
        batch.evaluations.push_back(EvaluationSample{step, "all", "tokens", static_cast<double>(metrics.tokens)});
    }
    for (const auto &[task, exactMatch] : metrics.exactMatchByTask) {
        batch.scalars.push_back(
            ScalarSample{std::string(series::kEvalExactMatchPrefix) + task, step, exactMatch, wallSeconds});
        batch.evaluations.push_back(EvaluationSample{step, task, "exact_match", exactMatch});
    }
    if (metrics.hasMergedEval) {
        batch.scalars.push_back(ScalarSample{series::kEvalMergedLoss, step, metrics.mergedLoss, wallSeconds});
        batch.scalars.push_back(
            ScalarSample{series::kEvalMergedPerplexity, step, metrics.mergedPerplexity, wallSeconds});
        batch.evaluations.push_back(EvaluationSample{step, "all", "merged_loss", metrics.mergedLoss});
        batch.evaluations.push_back(EvaluationSample{step, "all", "merged_perplexity", metrics.mergedPerplexity});
        for (const auto &[task, exactMatch] : metrics.mergedExactMatchByTask) {
            batch.scalars.push_back(
                ScalarSample{std::string(series::kEvalMergedExactMatchPrefix) + task, step, exactMatch, wallSeconds});
            batch.evaluations.push_back(EvaluationSample{step, task, "merged_exact_match", exactMatch});
        }
    }
    for (const auto &[task, shares] : metrics.expertShareByTask) {
        const std::vector<float> values(shares.begin(), shares.end());
        batch.vectors.push_back(VectorSample{series::kTaskExpertShare, task, step, values, wallSeconds});
    }
}

} // namespace lwb::storage
