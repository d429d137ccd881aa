// MetricReader: the reads behind the plots and the compare view.
//
// Scalar series for one run or many (a step range, optionally downsampled to
// min/max per bucket so spikes survive — from the rollups when buckets span
// whole 256-step blocks, see scalar_rollups.h), vector series (expert load per
// layer), evaluations, and the latest and best value of each series. Works on
// a RunStore's connection; like the store, one thread at a time.
#pragma once

#include "storage/run_records.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lwb::storage {

class Database;
class RunStore;

class MetricReader
{
public:
    explicit MetricReader(RunStore &store);

    // Scalar series names of a run, sorted.
    std::vector<std::string> scalarSeriesNames(std::int64_t runId);
    std::vector<SeriesPoint> scalarSeries(std::int64_t runId, const std::string &series, const SeriesQuery &query = {});
    // The same series of several runs (one RunSeries per run, in order; empty
    // points where a run lacks the series).
    std::vector<RunSeries> scalarSeries(const std::vector<std::int64_t> &runIds, const std::string &series,
                                        const SeriesQuery &query = {});

    // Vector series: names, the layers recorded for one, and the samples of a layer.
    std::vector<std::string> vectorSeriesNames(std::int64_t runId);
    std::vector<std::string> vectorLayers(std::int64_t runId, const std::string &series);
    std::vector<VectorPoint> vectorSeries(std::int64_t runId, const std::string &series, const std::string &layer,
                                          const SeriesQuery &query = {});

    std::vector<EvaluationRecord> evaluations(std::int64_t runId);

    // Latest and best value (best by higherIsBetter(series)) of one series, or
    // of every scalar series of the run. NaN values count for neither.
    std::optional<SeriesSummary> summary(std::int64_t runId, const std::string &series);
    std::vector<SeriesSummary> summaries(std::int64_t runId);

    std::int64_t scalarSampleCount(std::int64_t runId);
    std::int64_t vectorSampleCount(std::int64_t runId);

private:
    std::optional<std::int64_t> seriesId(const std::string &series);
    void readSamples(std::int64_t runId, std::int64_t seriesId, std::int64_t from, std::int64_t to,
                     const std::function<void(const SeriesPoint &)> &sink);
    void readRollups(std::int64_t runId, std::int64_t seriesId, std::int64_t fromBlock, std::int64_t toBlock,
                     const std::function<void(const SeriesPoint &)> &sink);
    // First and last step of a series within [from, to]; nullopt when none.
    std::optional<std::pair<std::int64_t, std::int64_t>> stepRange(std::int64_t runId, std::int64_t seriesId,
                                                                   std::int64_t from, std::int64_t to);

    Database &database_;
};

} // namespace lwb::storage
