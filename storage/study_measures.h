// StudyMeasure: a figure a study reports per run besides its metric's final
// value, so a claim about training speed or merging can be read off the
// study's table instead of being computed by hand from its runs:
//
//   at_step    the series' value at one step (loss at fixed steps)
//   steps_to   the first step at which the series reaches a target
//              (<= at_most, or >= at_least): steps to a target loss
//   merge_gap  final value after merging minus before (eval/merged_loss -
//              eval/loss at the step of the merged evaluation): what
//              merging ResLoRA into plain LoRA costs
//   after_merge  the final value of the merged model (eval/merged_loss for
//              eval/loss), or of the model as trained where nothing merges
//              (plain LoRA): the model each cell would deploy, so a merged
//              ResLoRA compares with LoRA by seed
//   final      the series' last value (another metric beside the study's)
//
// Named in the study file's optional "report" object (engine/config/
// study_spec.h keeps it out of the study's identity, so changing what a
// study reports never retrains it):
//
//   "report": {
//     "cell_labels": ["LoRA r 8", "ResLoRA is", ...],   // one per cell, in cell order
//     "measures": [ { "series": "eval/loss", "at_step": 100 },
//                   { "series": "eval/loss", "steps_to": { "at_most": 1.0 } },
//                   { "series": "eval/loss", "merge_gap": true },
//                   { "series": "eval/loss", "after_merge": true },
//                   { "series": "eval/exact_match/upper" } ]   // final value
//   }
//
// storage/study_summary.h turns each into a mean with its interval per cell
// and a paired comparison with the baseline cell, like the metric.
#pragma once

#include "storage/run_records.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lwb::storage {

struct StudyMeasure
{
    enum class Kind { Final, AtStep, StepsTo, MergeGap, AfterMerge };
    Kind kind = Kind::Final;
    std::string series;
    std::int64_t step = 0; // AtStep
    double target = 0.0;   // StepsTo
    bool atMost = true;    // StepsTo: reached when value <= target (else >= target)

    // "eval/loss @ step 100", "steps to eval/loss <= 1", "merge gap eval/loss".
    std::string name() const;
    // Which direction of the measure is the better one: fewer steps, a
    // smaller gap of a loss (a larger gap of an accuracy), the series' own.
    bool higherIsBetter() const;
};

struct StudyReportOptions
{
    std::vector<std::string> cellLabels; // empty: the cells' settings
    std::vector<StudyMeasure> measures;
};

// Reads a study's "report" object (null: none). `cellCount` checks
// cell_labels. Throws lwb::Error naming `source` and the JSON path
// ("report.measures[2].at_step") with the problem.
StudyReportOptions parseStudyReportOptions(const nlohmann::json &report, const std::string &source,
                                           std::size_t cellCount);

// The series the merged evaluation is recorded under: eval/loss ->
// eval/merged_loss, eval/exact_match/T -> eval/merged_exact_match/T,
// eval/perplexity -> eval/merged_perplexity; "" for any other series.
std::string mergedSeriesName(const std::string &series);

// The measure on one run's points (ascending steps; NaN values skipped):
// `merged` is the merged counterpart's points, read by MergeGap and AfterMerge.
// nullopt when the run has no such value (no point at the step, target not
// reached, no merged evaluation).
std::optional<double> measureValue(const StudyMeasure &measure, const std::vector<SeriesPoint> &series,
                                   const std::vector<SeriesPoint> &merged = {});

} // namespace lwb::storage
