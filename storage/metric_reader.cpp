// Series reads (see the header). Each read is a range scan of the sample
// table's primary key (run_id, series_id, step), streamed through the
// downsampler, so memory stays O(points returned).
#include "storage/metric_reader.h"

#include "storage/metric_samples.h"
#include "storage/run_store.h"
#include "storage/series_downsampler.h"
#include "storage/sqlite_database.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace lwb::storage {

namespace {

constexpr std::int64_t kMinStep = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMaxStep = std::numeric_limits<std::int64_t>::max();

double readValue(const Statement &row, int column)
{
    return row.isNull(column) ? std::numeric_limits<double>::quiet_NaN() : row.columnDouble(column);
}

} // namespace

MetricReader::MetricReader(RunStore &store)
    : database_(store.database())
{
}

std::optional<std::int64_t> MetricReader::seriesId(const std::string &series)
{
    auto query = database_.cached("SELECT id FROM series WHERE name = ?1");
    query->bind(1, series);
    if (!query->step())
        return std::nullopt;
    return query->columnInt(0);
}

std::vector<std::string> MetricReader::scalarSeriesNames(std::int64_t runId)
{
    auto query = database_.cached(
        "SELECT s.name FROM series s WHERE EXISTS "
        "(SELECT 1 FROM scalar_samples x WHERE x.run_id = ?1 AND x.series_id = s.id) ORDER BY s.name");
    query->bind(1, runId);
    std::vector<std::string> names;
    while (query->step())
        names.push_back(query->columnText(0));
    return names;
}

std::optional<std::pair<std::int64_t, std::int64_t>> MetricReader::stepRange(
    std::int64_t runId, std::int64_t seriesId, std::int64_t from, std::int64_t to)
{
    // Two probes of the primary key; min() and max() in one query would scan.
    auto first = database_.cached(
        "SELECT step FROM scalar_samples WHERE run_id = ?1 AND series_id = ?2 AND step BETWEEN ?3 AND ?4 "
        "ORDER BY step LIMIT 1");
    first->bind(1, runId).bind(2, seriesId).bind(3, from).bind(4, to);
    if (!first->step())
        return std::nullopt;
    auto last = database_.cached(
        "SELECT step FROM scalar_samples WHERE run_id = ?1 AND series_id = ?2 AND step BETWEEN ?3 AND ?4 "
        "ORDER BY step DESC LIMIT 1");
    last->bind(1, runId).bind(2, seriesId).bind(3, from).bind(4, to);
    last->step();
    return std::make_pair(first->columnInt(0), last->columnInt(0));
}

std::vector<SeriesPoint> MetricReader::scalarSeries(std::int64_t runId, const std::string &series,
                                                    const SeriesQuery &query)
{
    const std::optional<std::int64_t> id = seriesId(series);
    if (!id)
        return {};
    const std::int64_t from = query.fromStep.value_or(kMinStep);
    const std::int64_t to = query.toStep.value_or(kMaxStep);

    // Downsampling: points go both to a raw buffer (while it holds no more
    // than maxPoints) and to the min/max buckets; a series that turns out
    // short enough comes back whole.
    std::optional<MinMaxDownsampler> sampler;
    if (query.maxPoints > 0) {
        const auto range = stepRange(runId, *id, from, to);
        if (!range)
            return {};
        if (static_cast<std::uint64_t>(range->second - range->first) >= query.maxPoints)
            sampler.emplace(range->first, range->second, std::max<std::size_t>(1, query.maxPoints / 2));
    }

    auto rows = database_.cached(
        "SELECT step, value, wall_seconds FROM scalar_samples "
        "WHERE run_id = ?1 AND series_id = ?2 AND step BETWEEN ?3 AND ?4 ORDER BY step");
    rows->bind(1, runId).bind(2, *id).bind(3, from).bind(4, to);
    std::vector<SeriesPoint> points;
    bool overflow = false;
    while (rows->step()) {
        const SeriesPoint point{rows->columnInt(0), readValue(*rows, 1), rows->columnDouble(2)};
        if (sampler) {
            sampler->add(point);
            if (!overflow) {
                if (points.size() < query.maxPoints)
                    points.push_back(point);
                else
                    overflow = true;
            }
        } else {
            points.push_back(point);
        }
    }
    if (sampler && overflow)
        return sampler->finish();
    return points;
}

std::vector<RunSeries> MetricReader::scalarSeries(const std::vector<std::int64_t> &runIds,
                                                  const std::string &series, const SeriesQuery &query)
{
    std::vector<RunSeries> result;
    result.reserve(runIds.size());
    for (std::int64_t runId : runIds)
        result.push_back(RunSeries{runId, series, scalarSeries(runId, series, query)});
    return result;
}

std::vector<std::string> MetricReader::vectorSeriesNames(std::int64_t runId)
{
    auto query = database_.cached(
        "SELECT s.name FROM series s WHERE EXISTS "
        "(SELECT 1 FROM vector_samples x WHERE x.run_id = ?1 AND x.series_id = s.id) ORDER BY s.name");
    query->bind(1, runId);
    std::vector<std::string> names;
    while (query->step())
        names.push_back(query->columnText(0));
    return names;
}

std::vector<std::string> MetricReader::vectorLayers(std::int64_t runId, const std::string &series)
{
    const std::optional<std::int64_t> id = seriesId(series);
    if (!id)
        return {};
    auto query = database_.cached(
        "SELECT DISTINCT layer FROM vector_samples WHERE run_id = ?1 AND series_id = ?2 ORDER BY layer");
    query->bind(1, runId).bind(2, *id);
    std::vector<std::string> layers;
    while (query->step())
        layers.push_back(query->columnText(0));
    return layers;
}

std::vector<VectorPoint> MetricReader::vectorSeries(std::int64_t runId, const std::string &series,
                                                    const std::string &layer, const SeriesQuery &query)
{
    const std::optional<std::int64_t> id = seriesId(series);
    if (!id)
        return {};
    auto rows = database_.cached(
        "SELECT step, value_count, values_f32, wall_seconds FROM vector_samples "
        "WHERE run_id = ?1 AND series_id = ?2 AND layer = ?3 AND step BETWEEN ?4 AND ?5 ORDER BY step");
    rows->bind(1, runId).bind(2, *id).bind(3, layer);
    rows->bind(4, query.fromStep.value_or(kMinStep)).bind(5, query.toStep.value_or(kMaxStep));
    std::vector<VectorPoint> points;
    while (rows->step()) {
        VectorPoint point;
        point.step = rows->columnInt(0);
        const std::string_view blob = rows->columnBlob(2);
        const std::size_t count = std::min<std::size_t>(static_cast<std::size_t>(rows->columnInt(1)),
                                                        blob.size() / sizeof(float));
        point.values.resize(count);
        if (count > 0)
            std::memcpy(point.values.data(), blob.data(), count * sizeof(float));
        point.wallSeconds = rows->columnDouble(3);
        points.push_back(std::move(point));
    }
    // Vector samples are few (one per layer per step); thinning them is the
    // caller's choice: every k-th, with k from maxPoints.
    if (query.maxPoints > 0 && points.size() > query.maxPoints) {
        const std::size_t stride = (points.size() + query.maxPoints - 1) / query.maxPoints;
        std::vector<VectorPoint> thinned;
        for (std::size_t i = 0; i < points.size(); i += stride)
            thinned.push_back(std::move(points[i]));
        if ((points.size() - 1) % stride != 0)
            thinned.back() = std::move(points.back()); // always end on the latest sample
        return thinned;
    }
    return points;
}

std::vector<EvaluationRecord> MetricReader::evaluations(std::int64_t runId)
{
    auto query = database_.cached(
        "SELECT step, task, metric, value FROM evaluations WHERE run_id = ?1 ORDER BY step, task, metric");
    query->bind(1, runId);
    std::vector<EvaluationRecord> records;
    while (query->step())
        records.push_back(EvaluationRecord{query->columnInt(0), query->columnText(1), query->columnText(2),
                                           readValue(*query, 3)});
    return records;
}

std::optional<SeriesSummary> MetricReader::summary(std::int64_t runId, const std::string &series)
{
    const std::optional<std::int64_t> id = seriesId(series);
    if (!id)
        return std::nullopt;
    SeriesSummary result;
    result.series = series;
    result.higherIsBetter = higherIsBetter(series);
    {
        auto latest = database_.cached(
            "SELECT step, value FROM scalar_samples WHERE run_id = ?1 AND series_id = ?2 AND value IS NOT NULL "
            "ORDER BY step DESC LIMIT 1");
        latest->bind(1, runId).bind(2, *id);
        if (!latest->step())
            return std::nullopt;
        result.latestStep = latest->columnInt(0);
        result.latestValue = latest->columnDouble(1);
    }
    // SQLite returns the other columns of the row that holds a lone min()/max().
    auto best = database_.cached(
        result.higherIsBetter
            ? "SELECT max(value), step, count(*) FROM scalar_samples WHERE run_id = ?1 AND series_id = ?2"
            : "SELECT min(value), step, count(*) FROM scalar_samples WHERE run_id = ?1 AND series_id = ?2");
    best->bind(1, runId).bind(2, *id);
    best->step();
    result.bestValue = best->columnDouble(0);
    result.bestStep = best->columnInt(1);
    result.count = best->columnInt(2);
    return result;
}

std::vector<SeriesSummary> MetricReader::summaries(std::int64_t runId)
{
    std::vector<SeriesSummary> result;
    for (const std::string &name : scalarSeriesNames(runId)) {
        if (std::optional<SeriesSummary> one = summary(runId, name))
            result.push_back(std::move(*one));
    }
    return result;
}

std::int64_t MetricReader::scalarSampleCount(std::int64_t runId)
{
    auto query = database_.cached("SELECT count(*) FROM scalar_samples WHERE run_id = ?1");
    query->bind(1, runId);
    query->step();
    return query->columnInt(0);
}

std::int64_t MetricReader::vectorSampleCount(std::int64_t runId)
{
    auto query = database_.cached("SELECT count(*) FROM vector_samples WHERE run_id = ?1");
    query->bind(1, runId);
    query->step();
    return query->columnInt(0);
}

} // namespace lwb::storage
