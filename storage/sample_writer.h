// SampleWriter: inserts a batch of samples of one run through prepared
// statements, and refreshes the scalar rollups of the blocks it touched
// (scalar_rollups.h) — which is why a batch is the only way in.
//
// It does not open transactions; the caller wraps a batch in one (the
// RunRecorder does, once per flush), which is what makes SQLite fast: one
// commit per batch instead of one per row, and the rollups change together
// with their samples. Series names are looked up once and their ids kept. A
// sample written twice for the same (run, series, step) replaces the first
// (a resumed run re-recording a step).
#pragma once

#include "storage/metric_samples.h"
#include "storage/scalar_rollups.h"
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

    // The id of a series name, inserted when new.
    std::int64_t seriesId(const std::string &name);

    // After a rolled-back transaction: series ids learnt inside it may not exist.
    void forgetUncommitted() { seriesIds_.clear(); }

private:
    void writeScalar(std::int64_t runId, std::int64_t seriesId, const ScalarSample &sample);
    void writeVector(std::int64_t runId, const VectorSample &sample);
    void writeEvaluation(std::int64_t runId, const EvaluationSample &sample);

    Database &database_;
    RollupWriter rollups_;
    Statement insertSeries_;
    Statement selectSeries_;
    Statement insertScalar_;
    Statement insertVector_;
    Statement insertEvaluation_;
    std::unordered_map<std::string, std::int64_t> seriesIds_;
};

} // namespace lwb::storage
