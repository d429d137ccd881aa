// Prepared INSERTs for scalar, vector and evaluation samples (see the header).
#include "storage/sample_writer.h"

#include "storage/sqlite_database.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace lwb::storage {

namespace {

// SQLite has no NaN (it would store NULL anyway); NULL in a value column means NaN.
void bindValue(Statement &statement, int index, double value)
{
    if (std::isnan(value))
        statement.bindNull(index);
    else
        statement.bind(index, value);
}

} // namespace

SampleWriter::SampleWriter(Database &database)
    : database_(database)
    , rollups_(database)
    , insertSeries_(database, "INSERT OR IGNORE INTO series (name) VALUES (?1)")
    , selectSeries_(database, "SELECT id FROM series WHERE name = ?1")
    , insertScalar_(database, "INSERT OR REPLACE INTO scalar_samples (run_id, series_id, step, value, wall_seconds) "
                              "VALUES (?1, ?2, ?3, ?4, ?5)")
    , insertVector_(database, "INSERT OR REPLACE INTO vector_samples "
                              "(run_id, series_id, layer, step, value_count, values_f32, wall_seconds) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
    , insertEvaluation_(database, "INSERT OR REPLACE INTO evaluations (run_id, step, task, metric, value) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5)")
{
}

std::int64_t SampleWriter::seriesId(const std::string &name)
{
    const auto found = seriesIds_.find(name);
    if (found != seriesIds_.end())
        return found->second;
    insertSeries_.reset();
    insertSeries_.bind(1, name);
    insertSeries_.run();
    StatementLease select(selectSeries_); // resets when done
    select->bind(1, name);
    if (!select->step())
        throw Error(database_.path(), "series '" + name + "' vanished while being written");
    const std::int64_t id = select->columnInt(0);
    seriesIds_.emplace(name, id);
    return id;
}

void SampleWriter::writeScalar(std::int64_t runId, std::int64_t series, const ScalarSample &sample)
{
    StatementLease insert(insertScalar_);
    insert->bind(1, runId).bind(2, series).bind(3, sample.step);
    bindValue(*insert, 4, sample.value);
    insert->bind(5, sample.wallSeconds);
    insert->run();
}

void SampleWriter::writeVector(std::int64_t runId, const VectorSample &sample)
{
    const std::int64_t series = seriesId(sample.series);
    StatementLease insert(insertVector_);
    insert->bind(1, runId).bind(2, series).bind(3, sample.layer).bind(4, sample.step);
    insert->bind(5, static_cast<std::int64_t>(sample.values.size()));
    insert->bindBlob(6, sample.values.data(), sample.values.size() * sizeof(float));
    insert->bind(7, sample.wallSeconds);
    insert->run();
}

void SampleWriter::writeEvaluation(std::int64_t runId, const EvaluationSample &sample)
{
    StatementLease insert(insertEvaluation_);
    insert->bind(1, runId).bind(2, sample.step).bind(3, sample.task).bind(4, sample.metric);
    bindValue(*insert, 5, sample.value);
    insert->run();
}

void SampleWriter::write(std::int64_t runId, const SampleBatch &batch)
{
    // Step range written per series: the rollup blocks to recompute.
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> touched;
    for (const ScalarSample &sample : batch.scalars) {
        const std::int64_t series = seriesId(sample.series);
        writeScalar(runId, series, sample);
        const auto [entry, inserted] = touched.try_emplace(series, sample.step, sample.step);
        if (!inserted) {
            entry->second.first = std::min(entry->second.first, sample.step);
            entry->second.second = std::max(entry->second.second, sample.step);
        }
    }
    for (const auto &[series, range] : touched)
        rollups_.refresh(runId, series, range.first, range.second);
    for (const VectorSample &sample : batch.vectors)
        writeVector(runId, sample);
    for (const EvaluationSample &sample : batch.evaluations)
        writeEvaluation(runId, sample);
}

} // namespace lwb::storage
