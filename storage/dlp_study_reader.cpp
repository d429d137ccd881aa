// See dlp_study_reader.h. The rows and vectors are those appendSamples()
// writes for EvalMetrics::dlp (metric_samples.cpp).
#include "storage/dlp_study_reader.h"

#include "storage/metric_reader.h"
#include "storage/metric_samples.h"

#include <algorithm>
#include <map>

namespace lwb::storage {

std::optional<EvalMetrics> readDlpStudyEvaluation(RunStore &store, std::int64_t runId)
{
    MetricReader reader(store);
    const auto rows = reader.evaluations(runId);
    // The study's evaluation is the last step with a library order.
    std::optional<std::int64_t> step;
    for (const auto &row : rows) {
        if (row.metric == "library_index")
            step = std::max(step.value_or(row.step), row.step);
    }
    if (!step)
        return std::nullopt;

    EvalMetrics metrics;
    metrics.step = *step;
    DlpStudyEval dlp;
    std::map<double, std::string> order;
    const std::map<std::string, std::map<std::string, double> *> perTask = {
        {"exact_match", &metrics.exactMatchByTask},
        {"own_exact_match", &dlp.ownExactMatch},
        {"oracle_exact_match", &dlp.oracleExactMatch},
        {"multi_task_exact_match", &dlp.multiTaskExactMatch},
    };
    for (const auto &row : rows) {
        if (row.step != *step)
            continue;
        if (row.metric == "library_index")
            order[row.value] = row.task;
        else if (const auto found = perTask.find(row.metric); found != perTask.end() && row.task != "all")
            (*found->second)[row.task] = row.value;
        else if (row.metric == "plugin_accuracy")
            dlp.pluginAccuracy = row.value;
        else if (row.metric == "plugin_examples")
            dlp.pluginExamples = static_cast<std::int64_t>(row.value);
        else if (row.metric == "plugin_parameters")
            dlp.pluginParameters = static_cast<std::int64_t>(row.value);
        else if (row.metric == "multi_task_rank")
            dlp.multiTaskRank = static_cast<std::int64_t>(row.value);
        else if (row.metric == "mean_selected")
            dlp.meanSelected = row.value;
    }
    for (const auto &[index, task] : order)
        dlp.tasks.push_back(task);

    // One row per true task, the sample of the evaluation's step; a missing
    // row stays zeros so the matrix keeps its shape.
    const auto matrix = [&](const char *name) {
        std::vector<std::vector<double>> result;
        for (const auto &task : dlp.tasks) {
            std::vector<double> row(dlp.tasks.size(), 0.0);
            for (const auto &sample : reader.vectorSeries(runId, name, task)) {
                if (sample.step == *step && sample.values.size() == row.size())
                    row.assign(sample.values.begin(), sample.values.end());
            }
            result.push_back(std::move(row));
        }
        return result;
    };
    dlp.pluginConfusion = matrix(series::kPluginConfusion);
    dlp.selections = matrix(series::kLoraSelection);
    for (const auto &sample : reader.vectorSeries(runId, series::kLoraSelectionTotal, "all")) {
        if (sample.step == *step)
            dlp.selectionCounts.assign(sample.values.begin(), sample.values.end());
    }
    metrics.dlp = std::move(dlp);
    return metrics;
}

} // namespace lwb::storage
