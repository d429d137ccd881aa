// StudySummary: what a study found, per cell — the study metric's final
// value over the cell's finished seeds as mean ± t-interval, its spread, and
// the paired comparison of the cell with the baseline cell over the seeds
// both finished (difference with its interval and the paired t-test's
// p-value). Besides the metric, the measures the study file's "report"
// names (storage/study_measures.h: value at a step, steps to a target, merge
// gap), each summarised and compared the same way, and each cell's trainable
// parameter count (studies that compare at equal budgets print both sides).
// One value model behind `lorawb study`, its CSV and HTML report and the
// GUI's study view, so all show the same numbers.
#pragma once

#include "storage/run_statistics.h"
#include "storage/study_measures.h"
#include "storage/study_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lwb::storage {

class RunStore;

// One measure over a cell's finished seeds.
struct StudyMeasureSummary
{
    std::vector<std::uint64_t> seeds;     // seeds with a value, ascending
    std::vector<double> values;           // same order
    int missing = 0;                      // finished seeds without one (target not reached, no merged evaluation)
    MeanInterval interval;                // of `values`
    std::optional<PairedTest> vsBaseline; // over the seeds both have a value of; none below 2
};

struct StudyCellSummary
{
    std::size_t cellIndex = 0;
    std::string cell;                     // [[path, value], ...]
    std::vector<std::uint64_t> seeds;     // finished seeds, ascending
    std::vector<double> values;           // the metric's final value per finished seed
    std::vector<std::int64_t> runIds;     // the finished runs, same order
    int pendingRuns = 0;                  // queued or running
    int failedRuns = 0;                   // failed, cancelled or interrupted (re-run on resume)
    MeanInterval interval;                // of `values`
    std::optional<PairedTest> vsBaseline; // this - baseline; none for the baseline or < 2 common seeds
    // Trainable parameters of the finished runs (the run records'); equal
    // over seeds unless the cell's seeds changed the model: then min < max.
    std::int64_t trainableParametersMin = 0;
    std::int64_t trainableParametersMax = 0;
    std::vector<StudyMeasureSummary> measures; // one per StudySummary::measures
};

struct StudySummary
{
    StudyRecord study;
    std::string metric;
    bool higherIsBetter = false;
    int baselineCell = -1;
    double confidence = 0.95;
    std::vector<StudyCellSummary> cells; // by cell index, cells without any run included
    std::vector<StudyMeasure> measures;  // the study file's report.measures
    std::vector<std::string> cellLabels; // report.cell_labels; empty: the settings label the cells
};

// `cellCount` and `baselineCell` come from the expanded spec
// (engine/config/study_spec.h); cells are listed even when no run of theirs
// has been recorded yet. `cellKeys[i]` is cell i's settings text.
StudySummary summarizeStudy(RunStore &store, const StudyRecord &study, const std::vector<std::string> &cellKeys,
                            int baselineCell, double confidence = 0.95, const StudyReportOptions &report = {});

// The paired comparison of `cell` with `baseline` over the seeds both have
// (nullopt under two): the rule every column of the summary uses.
std::optional<PairedTest> pairedBySeed(const std::vector<std::uint64_t> &cellSeeds, const std::vector<double> &cell,
                                       const std::vector<std::uint64_t> &baselineSeeds,
                                       const std::vector<double> &baseline, double confidence);

} // namespace lwb::storage
