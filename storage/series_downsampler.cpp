// Min/max-per-bucket downsampling (see the header).
#include "storage/series_downsampler.h"

#include <algorithm>
#include <cmath>

namespace lwb::storage {

MinMaxDownsampler::MinMaxDownsampler(std::int64_t firstStep, std::int64_t lastStep, std::size_t buckets)
    : firstStep_(firstStep)
{
    const std::int64_t span = std::max<std::int64_t>(1, lastStep - firstStep + 1);
    const std::int64_t count = std::max<std::int64_t>(1, static_cast<std::int64_t>(buckets));
    bucketWidth_ = (span + count - 1) / count; // ceil: never more than `buckets` buckets
    out_.reserve(2 * static_cast<std::size_t>(count));
}

void MinMaxDownsampler::add(const SeriesPoint &point)
{
    const std::int64_t offset = point.step - firstStep_;
    const std::int64_t bucket = offset >= 0 ? offset / bucketWidth_ : -1 - (-offset - 1) / bucketWidth_;
    if (!bucketOpen_ || bucket != currentBucket_) {
        closeBucket();
        bucketOpen_ = true;
        currentBucket_ = bucket;
        min_ = point;
        max_ = point;
        return;
    }
    // A NaN (a diverged loss) is the one spike that must never vanish: it
    // takes the max slot; the min slot keeps the smallest finite value.
    if (std::isnan(point.value)) {
        if (!std::isnan(max_.value))
            max_ = point;
        return;
    }
    if (std::isnan(min_.value) || point.value < min_.value)
        min_ = point;
    if (!std::isnan(max_.value) && point.value > max_.value)
        max_ = point;
}

void MinMaxDownsampler::closeBucket()
{
    if (!bucketOpen_)
        return;
    if (min_.step == max_.step) {
        out_.push_back(min_);
    } else if (min_.step < max_.step) {
        out_.push_back(min_);
        out_.push_back(max_);
    } else {
        out_.push_back(max_);
        out_.push_back(min_);
    }
}

std::vector<SeriesPoint> MinMaxDownsampler::finish()
{
    closeBucket();
    bucketOpen_ = false;
    return std::move(out_);
}

std::vector<SeriesPoint> downsampleMinMax(const std::vector<SeriesPoint> &points, std::size_t maxPoints)
{
    if (maxPoints == 0 || points.size() <= maxPoints)
        return points;
    MinMaxDownsampler sampler(points.front().step, points.back().step, std::max<std::size_t>(1, maxPoints / 2));
    for (const SeriesPoint &point : points)
        sampler.add(point);
    return sampler.finish();
}

} // namespace lwb::storage
