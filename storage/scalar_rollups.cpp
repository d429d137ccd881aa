// Rollup refresh: one key-order scan over the touched blocks' samples, one
// upsert per block. The rule matches MinMaxDownsampler and the version 4
// backfill in schema.cpp: the smallest and the largest finite value, ties to
// the earliest step, and the earliest NaN.
#include "storage/scalar_rollups.h"

#include "storage/series_downsampler.h"

#include <cmath>

namespace lwb::storage {

namespace {

struct BlockSummary
{
    std::int64_t block = 0;
    std::int64_t count = 0;
    bool hasFinite = false;
    bool hasNaN = false;
    std::int64_t minStep = 0, maxStep = 0, nanStep = 0;
    double minValue = 0, maxValue = 0;
    double minWall = 0, maxWall = 0, nanWall = 0;

    void add(std::int64_t step, bool isNaN, double value, double wall)
    {
        ++count;
        if (isNaN) {
            if (!hasNaN) {
                hasNaN = true;
                nanStep = step;
                nanWall = wall;
            }
            return;
        }
        if (!hasFinite || value < minValue) {
            minStep = step;
            minValue = value;
            minWall = wall;
        }
        if (!hasFinite || value > maxValue) {
            maxStep = step;
            maxValue = value;
            maxWall = wall;
        }
        hasFinite = true;
    }
};

} // namespace

RollupWriter::RollupWriter(Database &database)
    : samples_(database, "SELECT step, value, wall_seconds FROM scalar_samples "
                         "WHERE run_id = ?1 AND series_id = ?2 AND step BETWEEN ?3 AND ?4 ORDER BY step")
    , upsert_(database, "INSERT OR REPLACE INTO scalar_rollups "
                        "(run_id, series_id, block, sample_count, min_step, min_value, min_wall, "
                        " max_step, max_value, max_wall, nan_step, nan_wall) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")
{
}

void RollupWriter::refresh(std::int64_t runId, std::int64_t seriesId, std::int64_t fromStep, std::int64_t toStep)
{
    const std::int64_t firstStep = rollupBlockOf(fromStep) * kRollupBlockSteps;
    const std::int64_t lastStep = rollupBlockOf(toStep) * kRollupBlockSteps + (kRollupBlockSteps - 1);
    std::vector<BlockSummary> blocks;
    {
        StatementLease rows(samples_);
        rows->bind(1, runId).bind(2, seriesId).bind(3, firstStep).bind(4, lastStep);
        while (rows->step()) {
            const std::int64_t step = rows->columnInt(0);
            const std::int64_t block = rollupBlockOf(step);
            if (blocks.empty() || blocks.back().block != block) {
                blocks.emplace_back();
                blocks.back().block = block;
            }
            blocks.back().add(step, rows->isNull(1), rows->columnDouble(1), rows->columnDouble(2));
        }
    }
    for (const BlockSummary &summary : blocks) {
        StatementLease upsert(upsert_);
        upsert->bind(1, runId).bind(2, seriesId).bind(3, summary.block).bind(4, summary.count);
        if (summary.hasFinite) {
            upsert->bind(5, summary.minStep).bind(6, summary.minValue).bind(7, summary.minWall);
            upsert->bind(8, summary.maxStep).bind(9, summary.maxValue).bind(10, summary.maxWall);
        }
        if (summary.hasNaN)
            upsert->bind(11, summary.nanStep).bind(12, summary.nanWall);
        upsert->run();
    }
}

} // namespace lwb::storage
