// MinMaxDownsampler: fewer points for a long series without losing spikes.
//
// Steps are cut into equal buckets (a BucketPlan: origin and width); each
// bucket keeps its minimum and its maximum point (one point when they
// coincide), in step order. A loss spike at one step therefore survives any
// zoom level, which an average or every-k-th sample would hide. Points are fed
// in ascending step order (the order the store reads them), so memory is
// O(buckets) whatever the series length. Ties keep the earliest step. A NaN
// (stored as NULL, read back as NaN) always survives: it takes the max slot.
//
// planBuckets() picks the plan for a step range and a point budget. Buckets
// of at least kRollupBlockSteps steps are aligned to whole rollup blocks (see
// scalar_rollups.h), so the store can answer them from per-block minima and
// maxima instead of reading every sample — with exactly the same result.
#pragma once

#include "storage/run_records.h"

#include <cstdint>
#include <vector>

namespace lwb::storage {

// Steps per rollup block; a block is the steps [k * 256, k * 256 + 255].
constexpr std::int64_t kRollupBlockSteps = 256;

// floor(step / kRollupBlockSteps), also for negative steps.
std::int64_t rollupBlockOf(std::int64_t step);

struct BucketPlan
{
    std::int64_t origin = 0;   // first step of bucket 0
    std::int64_t width = 1;    // steps per bucket
    bool blockAligned = false; // origin and width are whole rollup blocks
};

// Buckets for the steps [firstStep, lastStep] so that at most maxPoints
// points come out (maxPoints >= 2).
BucketPlan planBuckets(std::int64_t firstStep, std::int64_t lastStep, std::size_t maxPoints);

class MinMaxDownsampler
{
public:
    explicit MinMaxDownsampler(const BucketPlan &plan);

    void add(const SeriesPoint &point);
    std::vector<SeriesPoint> finish();

private:
    void closeBucket();

    BucketPlan plan_;
    std::int64_t currentBucket_ = 0;
    bool bucketOpen_ = false;
    SeriesPoint min_;
    SeriesPoint max_;
    std::vector<SeriesPoint> out_;
};

// Convenience for points already in memory (ascending steps): the points as
// they are when there are at most maxPoints (or maxPoints is 0), else the
// min/max of the buckets planBuckets() gives.
std::vector<SeriesPoint> downsampleMinMax(const std::vector<SeriesPoint> &points, std::size_t maxPoints);

} // namespace lwb::storage
