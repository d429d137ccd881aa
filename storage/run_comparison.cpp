// Building a RunComparison from the store (see the header).
#include "storage/run_comparison.h"

#include "storage/metric_reader.h"
#include "storage/run_store.h"

#include <algorithm>
#include <set>

namespace lwb::storage {

bool isPerLayerSeries(const std::string &series)
{
    return series.rfind("routing/", 0) == 0 && std::count(series.begin(), series.end(), '/') >= 2;
}

RunComparison compareRuns(RunStore &store, const std::vector<std::int64_t> &runIds)
{
    RunComparison comparison;
    for (std::int64_t runId : runIds)
        comparison.runs.push_back(store.run(runId));
    comparison.configDifferences = store.configDiff(runIds);

    MetricReader reader(store);
    std::set<std::string> names;
    std::vector<std::vector<SeriesSummary>> perRun;
    for (std::int64_t runId : runIds) {
        perRun.push_back(reader.summaries(runId));
        for (const SeriesSummary &summary : perRun.back()) {
            if (!isPerLayerSeries(summary.series))
                names.insert(summary.series);
        }
    }
    comparison.series.assign(names.begin(), names.end());
    for (const std::string &name : comparison.series) {
        std::vector<std::optional<SeriesSummary>> row;
        for (const auto &summaries : perRun) {
            const auto found = std::find_if(summaries.begin(), summaries.end(),
                                            [&](const SeriesSummary &s) { return s.series == name; });
            row.push_back(found == summaries.end() ? std::nullopt : std::optional<SeriesSummary>(*found));
        }
        comparison.finals.push_back(std::move(row));
    }
    return comparison;
}

} // namespace lwb::storage
