// DownsampledSeries: one plotted series (x ascending) in bounded memory.
//
// Points go into buckets of `stride` consecutive samples; a bucket keeps only
// its minimum and its maximum point (and the first NaN, which the plot shows
// as a gap), so a one-step loss spike survives at every length. When more
// than maxPoints/2 buckets exist, neighbouring buckets merge pairwise and the
// stride doubles: memory stays below maxPoints points however long the run,
// and every part of the curve has the same resolution (no "old data is
// coarser" effect). Appending is amortised O(1).
//
// The revision counter lets a plot redraw only when something changed.
// Plain C++ and Qt Core value types; no widgets, so it is tested on its own.
#pragma once

#include <QPointF>
#include <QVector>

#include <cstdint>

namespace lwb::ui {

class DownsampledSeries
{
public:
    // maxPoints: the most points points() returns and this object stores (>= 4).
    explicit DownsampledSeries(int maxPoints = 4000);

    void append(double x, double y);
    void clear();

    // The display points in x order: per bucket its min and max (one point when
    // they coincide) and, where the bucket saw one, a NaN point for the gap.
    QVector<QPointF> points() const;

    int maxPoints() const { return maxPoints_; }
    std::int64_t sampleCount() const { return sampleCount_; } // samples appended since clear()
    std::int64_t stride() const { return stride_; }           // samples per full bucket
    int bucketCount() const { return static_cast<int>(buckets_.size()); }
    std::uint64_t revision() const { return revision_; } // changes on every append/clear
    bool isEmpty() const { return buckets_.isEmpty(); }

private:
    struct Bucket
    {
        QPointF min;
        QPointF max;
        double nanX = 0.0;
        bool hasValue = false; // min/max are set (at least one non-NaN sample)
        bool hasNan = false;
        std::int64_t count = 0;
    };

    static void add(Bucket &bucket, double x, double y);
    static Bucket merged(const Bucket &left, const Bucket &right);
    void compact();

    int maxPoints_;
    int maxBuckets_;
    std::int64_t stride_ = 1;
    std::int64_t sampleCount_ = 0;
    std::uint64_t revision_ = 0;
    QVector<Bucket> buckets_;
};

} // namespace lwb::ui
