// StudySummary: what a study found, per cell — the study metric's final
// value over the cell's finished seeds as mean ± t-interval, its spread, and
// the paired comparison of the cell with the baseline cell over the seeds
// both finished (difference with its interval and the paired t-test's
// p-value). One value model behind `lorawb study`, its CSV and HTML report
// and the GUI's study view, so all show the same numbers.
#pragma once

#include "storage/run_statistics.h"
#include "storage/study_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lwb::storage {

class RunStore;

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
};

struct StudySummary
{
    StudyRecord study;
    std::string metric;
    bool higherIsBetter = false;
    int baselineCell = -1;
    double confidence = 0.95;
    std::vector<StudyCellSummary> cells; // by cell index, cells without any run included
};

// `cellCount` and `baselineCell` come from the expanded spec
// (engine/config/study_spec.h); cells are listed even when no run of theirs
// has been recorded yet. `cellKeys[i]` is cell i's settings text.
StudySummary summarizeStudy(RunStore &store, const StudyRecord &study, const std::vector<std::string> &cellKeys,
                            int baselineCell, double confidence = 0.95);

} // namespace lwb::storage
