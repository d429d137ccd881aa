// See study_summary.h.
#include "storage/study_summary.h"

#include "storage/metric_reader.h"
#include "storage/metric_samples.h"
#include "storage/run_store.h"

#include <algorithm>
#include <map>

namespace lwb::storage {

std::optional<PairedTest> pairedBySeed(const std::vector<std::uint64_t> &cellSeeds, const std::vector<double> &cell,
                                       const std::vector<std::uint64_t> &baselineSeeds,
                                       const std::vector<double> &baseline, double confidence)
{
    std::map<std::uint64_t, double> theirsBySeed;
    for (std::size_t i = 0; i < baselineSeeds.size(); ++i)
        theirsBySeed[baselineSeeds[i]] = baseline[i];
    std::vector<double> mine;
    std::vector<double> theirs;
    for (std::size_t i = 0; i < cellSeeds.size(); ++i) {
        const auto match = theirsBySeed.find(cellSeeds[i]);
        if (match == theirsBySeed.end())
            continue;
        mine.push_back(cell[i]);
        theirs.push_back(match->second);
    }
    if (mine.size() < 2)
        return std::nullopt;
    return pairedTTest(mine, theirs, confidence);
}

StudySummary summarizeStudy(RunStore &store, const StudyRecord &study, const std::vector<std::string> &cellKeys,
                            int baselineCell, double confidence, const StudyReportOptions &report)
{
    StudySummary summary;
    summary.study = study;
    summary.metric = study.metric;
    summary.higherIsBetter = higherIsBetter(study.metric);
    summary.baselineCell = baselineCell;
    summary.confidence = confidence;
    summary.measures = report.measures;
    if (report.cellLabels.size() == cellKeys.size())
        summary.cellLabels = report.cellLabels;
    summary.cells.resize(cellKeys.size());
    for (std::size_t i = 0; i < cellKeys.size(); ++i) {
        summary.cells[i].cellIndex = i;
        summary.cells[i].cell = cellKeys[i];
        summary.cells[i].measures.resize(report.measures.size());
    }

    MetricReader reader(store);
    // Per cell: seed -> run id of the newest finished run on that seed with the metric.
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
            if (const auto record = store.findRun(run.first)) {
                const auto count = record->trainableParameters;
                const bool first = cell.seeds.size() == 1;
                cell.trainableParametersMin = first ? count : std::min(cell.trainableParametersMin, count);
                cell.trainableParametersMax = first ? count : std::max(cell.trainableParametersMax, count);
            }
            for (std::size_t m = 0; m < report.measures.size(); ++m) {
                const auto &measure = report.measures[m];
                const auto points = reader.scalarSeries(run.first, measure.series);
                const bool readsMerged
                    = measure.kind == StudyMeasure::Kind::MergeGap || measure.kind == StudyMeasure::Kind::AfterMerge;
                const auto merged = readsMerged ? reader.scalarSeries(run.first, mergedSeriesName(measure.series))
                                                : std::vector<SeriesPoint>{};
                auto &result = cell.measures[m];
                if (const auto value = measureValue(measure, points, merged)) {
                    result.seeds.push_back(seed);
                    result.values.push_back(*value);
                } else {
                    ++result.missing;
                }
            }
        }
        cell.interval = meanInterval(cell.values, confidence);
        for (auto &result : cell.measures)
            result.interval = meanInterval(result.values, confidence);
    }
    if (baselineCell < 0 || baselineCell >= static_cast<int>(cellKeys.size()))
        return summary;
    const auto &baseline = summary.cells[static_cast<std::size_t>(baselineCell)];
    for (std::size_t i = 0; i < cellKeys.size(); ++i) {
        if (static_cast<int>(i) == baselineCell)
            continue;
        auto &cell = summary.cells[i];
        cell.vsBaseline = pairedBySeed(cell.seeds, cell.values, baseline.seeds, baseline.values, confidence);
        for (std::size_t m = 0; m < cell.measures.size(); ++m)
            cell.measures[m].vsBaseline
                = pairedBySeed(cell.measures[m].seeds, cell.measures[m].values, baseline.measures[m].seeds,
                               baseline.measures[m].values, confidence);
    }
    return summary;
}

} // namespace lwb::storage
