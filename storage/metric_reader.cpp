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
#include <functional>
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

std::optional<std::pair<std::int64_t, std::int64_t>> MetricReader::stepRange(std::int64_t runId, std::int64_t seriesId,
                                                                             std::int64_t from, std::int64_t to)
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

void MetricReader::readSamples(std::int64_t runId, std::int64_t seriesId, std::int64_t from, std::int64_t to,
                               const std::function<void(const SeriesPoint &)> &sink)
{
    auto rows = database_.cached("SELECT step, value, wall_seconds FROM scalar_samples "
                                 "WHERE run_id = ?1 AND series_id = ?2 AND step BETWEEN ?3 AND ?4 ORDER BY step");
    rows->bind(1, runId).bind(2, seriesId).bind(3, from).bind(4, to);
    while (rows->step())
        sink(SeriesPoint{rows->columnInt(0), readValue(*rows, 1), rows->columnDouble(2)});
}

void MetricReader::readRollups(std::int64_t runId, std::int64_t seriesId, std::int64_t fromBlock, std::int64_t toBlock,
                               const std::function<void(const SeriesPoint &)> &sink)
{
    auto rows = database_.cached(
        "SELECT min_step, min_value, min_wall, max_step, max_value, max_wall, nan_step, nan_wall "
        "FROM scalar_rollups WHERE run_id = ?1 AND series_id = ?2 AND block BETWEEN ?3 AND ?4 ORDER BY block");
    rows->bind(1, runId).bind(2, seriesId).bind(3, fromBlock).bind(4, toBlock);
    SeriesPoint points[3];
    while (rows->step()) {
        // The block's min, max and first NaN, fed in step order.
        int count = 0;
        if (!rows->isNull(0))
            points[count++] = SeriesPoint{rows->columnInt(0), rows->columnDouble(1), rows->columnDouble(2)};
        if (!rows->isNull(3) && (count == 0 || rows->columnInt(3) != points[0].step))
            points[count++] = SeriesPoint{rows->columnInt(3), rows->columnDouble(4), rows->columnDouble(5)};
        if (!rows->isNull(6))
            points[count++]
                = SeriesPoint{rows->columnInt(6), std::numeric_limits<double>::quiet_NaN(), rows->columnDouble(7)};
        // Three at most: sorted by two passes of neighbour swaps.
        for (int pass = 0; pass < 2; ++pass) {
            for (int i = 0; i + 1 < count; ++i) {
                if (points[i + 1].step < points[i].step)
                    std::swap(points[i], points[i + 1]);
            }
        }
        for (int i = 0; i < count; ++i)
            sink(points[i]);
    }
}

std::vector<SeriesPoint> MetricReader::scalarSeries(std::int64_t runId, const std::string &series,
                                                    const SeriesQuery &query)
{
    const std::optional<std::int64_t> id = seriesId(series);
    if (!id)
        return {};
    const std::int64_t from = query.fromStep.value_or(kMinStep);
    const std::int64_t to = query.toStep.value_or(kMaxStep);
    std::vector<SeriesPoint> points;
    auto keep = [&](const SeriesPoint &point) { points.push_back(point); };

    // One snapshot for the several statements below.
    Transaction snapshot(database_, Transaction::Kind::Deferred);
    const auto range = query.maxPoints > 0 ? stepRange(runId, *id, from, to) : std::nullopt;
    if (query.maxPoints == 0 || !range || static_cast<std::uint64_t>(range->second - range->first) < query.maxPoints) {
        readSamples(runId, *id, from, to, keep); // short enough as it is
        return points;
    }

    const BucketPlan plan = planBuckets(range->first, range->second, std::max<std::size_t>(2, query.maxPoints));
    MinMaxDownsampler sampler(plan);
    auto sample = [&](const SeriesPoint &point) { sampler.add(point); };
    if (!plan.blockAligned) {
        // Points go both to the buckets and, while there are few enough, to a
        // plain list: a sparse series comes back whole.
        bool overflow = false;
        readSamples(runId, *id, range->first, range->second, [&](const SeriesPoint &point) {
            sampler.add(point);
            if (!overflow && points.size() < query.maxPoints)
                points.push_back(point);
            else
                overflow = true;
        });
        return overflow ? sampler.finish() : points;
    }

    // Whole-block buckets: the two edge blocks (which the step range may cut)
    // from the samples, every block between from the rollups.
    const std::int64_t firstBlock = rollupBlockOf(range->first);
    const std::int64_t lastBlock = rollupBlockOf(range->second);
    auto count = database_.cached("SELECT coalesce(sum(sample_count), 0) FROM scalar_rollups "
                                  "WHERE run_id = ?1 AND series_id = ?2 AND block BETWEEN ?3 AND ?4");
    count->bind(1, runId).bind(2, *id).bind(3, firstBlock).bind(4, lastBlock);
    count->step();
    if (static_cast<std::uint64_t>(count->columnInt(0)) <= query.maxPoints) {
        readSamples(runId, *id, range->first, range->second, keep); // sparse: every point fits
        return points;
    }
    const std::int64_t firstBlockEnd = (firstBlock + 1) * kRollupBlockSteps - 1;
    readSamples(runId, *id, range->first, std::min(range->second, firstBlockEnd), sample);
    if (lastBlock > firstBlock) {
        readRollups(runId, *id, firstBlock + 1, lastBlock - 1, sample);
        readSamples(runId, *id, lastBlock * kRollupBlockSteps, range->second, sample);
    }
    return sampler.finish();
}

std::vector<RunSeries> MetricReader::scalarSeries(const std::vector<std::int64_t> &runIds, const std::string &series,
                                                  const SeriesQuery &query)
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
        const std::size_t count
            = std::min<std::size_t>(static_cast<std::size_t>(rows->columnInt(1)), blob.size() / sizeof(float));
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
        records.push_back(
            EvaluationRecord{query->columnInt(0), query->columnText(1), query->columnText(2), readValue(*query, 3)});
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
