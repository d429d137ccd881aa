// Scalar rollups: for every block of 256 steps of every scalar series, the
// minimum point, the maximum point and the first NaN point, kept beside the
// samples (table scalar_rollups, schema version 4).
//
// Why: a plot of a long run asks for ~2,000 points out of millions of samples.
// Min/max buckets of whole blocks (series_downsampler.h) are then answered
// from the rollups — one row per 256 samples — instead of every sample, and
// give exactly what a full scan would. Each rollup row is recomputed from the
// samples of its block in the same transaction that wrote them (SampleWriter
// does this for every batch), so readers never see a stale block.
#pragma once

#include "storage/sqlite_database.h"

#include <cstdint>
#include <vector>

namespace lwb::storage {

class RollupWriter
{
public:
    explicit RollupWriter(Database &database);

    // Recomputes the rollups of every block that holds a step in [fromStep, toStep].
    void refresh(std::int64_t runId, std::int64_t seriesId, std::int64_t fromStep, std::int64_t toStep);

private:
    Statement samples_;
    Statement upsert_;
};

} // namespace lwb::storage
