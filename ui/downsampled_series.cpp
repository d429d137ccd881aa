// See downsampled_series.h.
#include "ui/downsampled_series.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lwb::ui {

DownsampledSeries::DownsampledSeries(int maxPoints)
    : maxPoints_(std::max(4, maxPoints))
    // A bucket may show three points (min, max, a NaN gap); two is the usual
    // case. Budgeting three keeps the hard bound even for NaN-heavy series.
    , maxBuckets_(std::max(1, maxPoints_ / 3))
{
    buckets_.reserve(maxBuckets_ + 1);
}

void DownsampledSeries::append(double x, double y)
{
    if (buckets_.isEmpty() || buckets_.back().count >= stride_)
        buckets_.push_back(Bucket{});
    add(buckets_.back(), x, y);
    ++sampleCount_;
    ++revision_;
    if (buckets_.size() > maxBuckets_)
        compact();
}

void DownsampledSeries::clear()
{
    buckets_.clear();
    stride_ = 1;
    sampleCount_ = 0;
    ++revision_;
}

void DownsampledSeries::add(Bucket &bucket, double x, double y)
{
    ++bucket.count;
    if (std::isnan(y)) {
        if (!bucket.hasNan) {
            bucket.hasNan = true;
            bucket.nanX = x;
        }
        return;
    }
    const QPointF point(x, y);
    if (!bucket.hasValue) {
        bucket.min = point;
        bucket.max = point;
        bucket.hasValue = true;
        return;
    }
    if (y < bucket.min.y())
        bucket.min = point;
    if (y > bucket.max.y())
        bucket.max = point;
}

DownsampledSeries::Bucket DownsampledSeries::merged(const Bucket &left, const Bucket &right)
{
    Bucket out = left;
    out.count = left.count + right.count;
    if (right.hasNan && !out.hasNan) {
        out.hasNan = true;
        out.nanX = right.nanX;
    }
    if (right.hasValue) {
        if (!out.hasValue) {
            out.min = right.min;
            out.max = right.max;
            out.hasValue = true;
        } else {
            // Strict comparisons keep the earlier point on ties, as add() does.
            if (right.min.y() < out.min.y())
                out.min = right.min;
            if (right.max.y() > out.max.y())
                out.max = right.max;
        }
    }
    return out;
}

void DownsampledSeries::compact()
{
    // Pairs (0,1), (2,3), ... merge into buckets of twice the stride. With an
    // odd count the last bucket stays alone: it is not yet full at the new
    // stride and keeps filling with the next samples.
    QVector<Bucket> out;
    out.reserve(maxBuckets_ + 1);
    const auto size = buckets_.size();
    for (qsizetype i = 0; i + 1 < size; i += 2)
        out.push_back(merged(buckets_[i], buckets_[i + 1]));
    if (size % 2 == 1)
        out.push_back(buckets_.back());
    buckets_ = std::move(out);
    stride_ *= 2;
}

QVector<QPointF> DownsampledSeries::points() const
{
    QVector<QPointF> out;
    out.reserve(buckets_.size() * 2);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (const auto &bucket : buckets_) {
        // Up to three points, emitted in x order.
        QPointF items[3];
        int n = 0;
        if (bucket.hasValue) {
            items[n++] = bucket.min;
            if (bucket.max != bucket.min)
                items[n++] = bucket.max;
        }
        if (bucket.hasNan)
            items[n++] = QPointF(bucket.nanX, nan);
        std::sort(items, items + n, [](const QPointF &a, const QPointF &b) { return a.x() < b.x(); });
        for (int i = 0; i < n; ++i)
            out.push_back(items[i]);
    }
    return out;
}

} // namespace lwb::ui
