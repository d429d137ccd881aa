// Bucket plans and min/max-per-bucket downsampling (see the header).
#include "storage/series_downsampler.h"

#include <algorithm>
#include <cmath>

namespace lwb::storage {

namespace {

std::int64_t floorDiv(std::int64_t a, std::int64_t b)
{
    const std::int64_t quotient = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient;
}

std::int64_t ceilDiv(std::int64_t a, std::int64_t b)
{
    return (a + b - 1) / b; // a >= 0, b > 0
}

} // namespace

std::int64_t rollupBlockOf(std::int64_t step)
{
    return floorDiv(step, kRollupBlockSteps);
}

BucketPlan planBuckets(std::int64_t firstStep, std::int64_t lastStep, std::size_t maxPoints)
{
    const std::int64_t buckets = std::max<std::int64_t>(1, static_cast<std::int64_t>(maxPoints / 2));
    const std::int64_t span = std::max<std::int64_t>(1, lastStep - firstStep + 1);
    BucketPlan plan;
    plan.origin = firstStep;
    plan.width = ceilDiv(span, buckets);
    if (plan.width >= kRollupBlockSteps) {
        // Whole blocks per bucket; the block count decides, so that the
        // buckets still number at most `buckets`.
        const std::int64_t firstBlock = rollupBlockOf(firstStep);
        const std::int64_t blocks = rollupBlockOf(lastStep) - firstBlock + 1;
        plan.origin = firstBlock * kRollupBlockSteps;
        plan.width = ceilDiv(blocks, buckets) * kRollupBlockSteps;
        plan.blockAligned = true;
    }
    return plan;
}

MinMaxDownsampler::MinMaxDownsampler(const BucketPlan &plan)
    : plan_(plan)
{
    plan_.width = std::max<std::int64_t>(1, plan_.width);
}

void MinMaxDownsampler::add(const SeriesPoint &point)
{
    const std::int64_t bucket = floorDiv(point.step - plan_.origin, plan_.width);
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
    MinMaxDownsampler sampler(planBuckets(points.front().step, points.back().step, maxPoints));
    for (const SeriesPoint &point : points)
        sampler.add(point);
    return sampler.finish();
}

} // namespace lwb::storage
