// SampleWriter: inserts samples of one run through prepared statements.
//
// It does not open transactions; the caller wraps a whole batch in one (the
// RunRecorder does, once per flush), which is what makes SQLite fast: one
// fsync per batch instead of one per row. Series names are looked up once and
// their ids kept. A sample written twice for the same (run, series, step)
// replaces the first (a resumed run re-recording a step).
#pragma once

#include "storage/metric_samples.h"
#include "storage/sqlite_database.h"

#include <cstdint>
#include <string>
#include <unordered_map>

namespace lwb::storage {

class SampleWriter
{
public:
    explicit SampleWriter(Database &database);

    void write(std::int64_t runId, const SampleBatch &batch);
    void writeScalar(std::int64_t runId, const ScalarSample &sample);
    void writeVector(std::int64_t runId, const VectorSample &sample);
    void writeEvaluation(std::int64_t runId, const EvaluationSample &sample);

    // The id of a series name, inserted when new.
    std::int64_t seriesId(const std::string &name);

    // After a rolled-back transaction: series ids learnt inside it may not exist.
    void forgetUncommitted() { seriesIds_.clear(); }

private:
    Database &database_;
    Statement insertSeries_;
    Statement selectSeries_;
    Statement insertScalar_;
    Statement insertVector_;
    Statement insertEvaluation_;
    std::unordered_map<std::string, std::int64_t> seriesIds_;
};

} // namespace lwb::storage
