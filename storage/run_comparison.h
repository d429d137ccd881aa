// RunComparison: several runs side by side — where their configs differ and
// what each reached at the end (latest and best value of every series, the
// last evaluation). One value model behind `lorawb runs compare` and the
// GUI's compare view, so both show the same numbers.
#pragma once

#include "storage/config_diff.h"
#include "storage/run_records.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lwb::storage {

class RunStore;

struct RunComparison
{
    std::vector<RunRecord> runs;
    std::vector<ConfigDifference> configDifferences; // values in run order
    // Series present in any run (per-layer routing series left out: they
    // are many and differ by model), sorted; finals[i][j] is run j's summary
    // of series[i], nullopt where run j lacks it.
    std::vector<std::string> series;
    std::vector<std::vector<std::optional<SeriesSummary>>> finals;
};

// Throws lwb::Error when a run does not exist.
RunComparison compareRuns(RunStore &store, const std::vector<std::int64_t> &runIds);

// True for "routing/entropy/<layer>" and the like: one series per adapted layer.
bool isPerLayerSeries(const std::string &series);

} // namespace lwb::storage
