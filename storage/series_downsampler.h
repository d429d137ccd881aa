// MinMaxDownsampler: fewer points for a long series without losing spikes.
//
// The step range [firstStep, lastStep] is cut into `buckets` equal step
// ranges; each bucket keeps its minimum and its maximum point (one point when
// they coincide), in step order. A loss spike at one step therefore survives
// any zoom level, which an average or every-k-th sample would hide. Points are
// fed in ascending step order (the order the store reads them), so memory is
// O(buckets) whatever the series length. A NaN value (stored as NULL, read
// back as NaN) always survives in its bucket.
#pragma once

#include "storage/run_records.h"

#include <cstdint>
#include <vector>

namespace lwb::storage {

class MinMaxDownsampler
{
public:
    // At most 2 * buckets points come out. buckets >= 1.
    MinMaxDownsampler(std::int64_t firstStep, std::int64_t lastStep, std::size_t buckets);

    void add(const SeriesPoint &point);
    std::vector<SeriesPoint> finish();

private:
    void closeBucket();

    std::int64_t firstStep_;
    std::int64_t bucketWidth_;
    std::int64_t currentBucket_ = 0;
    bool bucketOpen_ = false;
    SeriesPoint min_;
    SeriesPoint max_;
    std::vector<SeriesPoint> out_;
};

// Convenience for points already in memory (ascending steps).
std::vector<SeriesPoint> downsampleMinMax(const std::vector<SeriesPoint> &points, std::size_t maxPoints);

} // namespace lwb::storage
