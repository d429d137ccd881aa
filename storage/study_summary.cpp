// See study_summary.h.
#include "storage/study_summary.h"

#include "storage/metric_reader.h"
#include "storage/metric_samples.h"
#include "storage/run_store.h"

#include <algorithm>
#include <map>

namespace lwb::storage {

StudySummary summarizeStudy(RunStore &store, const StudyRecord &study, const std::vector<std::string> &cellKeys,
                            int baselineCell, double confidence)
{
    StudySummary summary;
    summary.study = study;
    summary.metric = study.metric;
    summary.higherIsBetter = higherIsBetter(study.metric);
    summary.baselineCell = baselineCell;
    summary.confidence = confidence;
    summary.cells.resize(cellKeys.size());
    for (std::size_t i = 0; i < cellKeys.size(); ++i) {
        summary.cells[i].cellIndex = i;
        summary.cells[i].cell = cellKeys[i];
    }

    MetricReader reader(store);
    // Per cell: seed -> (run, value) of the newest finished run on that seed.
    std::vector<std::map<std::uint64_t, std::pair<std::int64_t, double>>> finished(cellKeys.size());
    for (const auto &link : studyRuns(store, study.id)) {
        if (link.cellIndex >= cellKeys.size())
            continue; // a cell of an older expansion of the same file cannot exist: same text, same cells
        auto &cell = summary.cells[link.cellIndex];
        if (link.status == RunStatus::Queued || link.status == RunStatus::Running) {
            ++cell.pendingRuns;
            continue;
        }
        if (link.status != RunStatus::Finished) {
            ++cell.failedRuns;
            continue;
        }
        const auto value = reader.summary(link.runId, study.metric);
        if (!value) {
            ++cell.failedRuns; // finished without the metric (evaluation off): it cannot count
            continue;
        }
        finished[link.cellIndex][link.seed] = {link.runId, value->latestValue};
    }
    for (std::size_t i = 0; i < cellKeys.size(); ++i) {
        auto &cell = summary.cells[i];
        for (const auto &[seed, run] : finished[i]) {
            cell.seeds.push_back(seed);
            cell.runIds.push_back(run.first);
            cell.values.push_back(run.second);
        }
        cell.interval = meanInterval(cell.values, confidence);
    }
    if (baselineCell < 0 || baselineCell >= static_cast<int>(cellKeys.size()))
        return summary;
    const auto &baseline = finished[static_cast<std::size_t>(baselineCell)];
    for (std::size_t i = 0; i < cellKeys.size(); ++i) {
        if (static_cast<int>(i) == baselineCell)
            continue;
        std::vector<double> mine;
        std::vector<double> theirs;
        for (const auto &[seed, run] : finished[i]) {
            const auto match = baseline.find(seed);
            if (match == baseline.end())
                continue;
            mine.push_back(run.second);
            theirs.push_back(match->second.second);
        }
        if (mine.size() >= 2)
            summary.cells[i].vsBaseline = pairedTTest(mine, theirs, confidence);
    }
    return summary;
}

} // namespace lwb::storage
