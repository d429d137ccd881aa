// See compare_curve_data.h.
#include "ui/compare_curve_data.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lwb::ui {

namespace {

// The smallest and largest finite x over the curves (NaN, NaN when none).
std::pair<double, double> xBounds(const std::vector<SeriesCurve> &curves)
{
    double low = std::numeric_limits<double>::infinity();
    double high = -low;
    for (const auto &curve : curves)
        for (const double x : curve.x)
            if (std::isfinite(x)) {
                low = std::min(low, x);
                high = std::max(high, x);
            }
    if (low > high)
        return {std::nan(""), std::nan("")};
    return {low, high};
}

template <typename T> QVector<T> picked(const QVector<T> &values, const std::vector<qsizetype> &indices)
{
    QVector<T> out;
    out.reserve(qsizetype(indices.size()));
    for (const qsizetype index : indices)
        out << values[index];
    return out;
}

double xOf(const lwb::storage::SeriesPoint &point, CompareAxis axis,
           const std::vector<lwb::storage::SeriesPoint> &tokens)
{
    switch (axis) {
    case CompareAxis::Step:
        return double(point.step);
    case CompareAxis::Tokens:
        return tokensAtStep(tokens, point.step);
    case CompareAxis::WallTime:
        return point.wallSeconds;
    }
    return std::nan("");
}

} // namespace

double tokensAtStep(const std::vector<lwb::storage::SeriesPoint> &tokens, std::int64_t step)
{
    if (tokens.empty())
        return std::nan("");
    auto after
        = std::lower_bound(tokens.begin(), tokens.end(), step,
                           [](const lwb::storage::SeriesPoint &point, std::int64_t s) { return point.step < s; });
    if (after == tokens.end())
        return tokens.back().value;
    if (after->step == step || after == tokens.begin())
        return after->value;
    const auto before = after - 1;
    const double t = double(step - before->step) / double(after->step - before->step);
    return before->value + t * (after->value - before->value);
}

std::vector<qsizetype> columnExtremes(const QVector<double> &x, const std::vector<const QVector<double> *> &ys,
                                      double xMin, double xMax, int columns)
{
    columns = std::max(1, columns);
    const double width = xMax > xMin ? (xMax - xMin) / double(columns) : 1.0;
    const auto columnOf = [&](double value) {
        return std::clamp(static_cast<int>(std::floor((value - xMin) / width)), 0, columns - 1);
    };
    constexpr qsizetype kNone = -1;
    // Per column and series: the index of the lowest and the highest value.
    std::vector<qsizetype> lowest(std::size_t(columns) * ys.size(), kNone);
    std::vector<qsizetype> highest(lowest.size(), kNone);
    std::vector<qsizetype> firstNan(std::size_t(columns), kNone);
    for (qsizetype i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i]))
            continue;
        const int column = columnOf(x[i]);
        for (std::size_t s = 0; s < ys.size(); ++s) {
            const double y = (*ys[s])[i];
            if (std::isnan(y)) {
                if (firstNan[std::size_t(column)] == kNone)
                    firstNan[std::size_t(column)] = i;
                continue;
            }
            const std::size_t slot = std::size_t(column) * ys.size() + s;
            // Strict comparisons: on ties the earlier point stays.
            if (lowest[slot] == kNone || y < (*ys[s])[lowest[slot]])
                lowest[slot] = i;
            if (highest[slot] == kNone || y > (*ys[s])[highest[slot]])
                highest[slot] = i;
        }
    }
    std::vector<qsizetype> kept;
    kept.reserve(lowest.size() * 2 + firstNan.size());
    for (const auto *indices : {&lowest, &highest, &firstNan})
        for (const qsizetype index : *indices)
            if (index != kNone)
                kept.push_back(index);
    std::sort(kept.begin(), kept.end());
    kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
    return kept;
}

SeriesCurve thinnedCurve(const SeriesCurve &curve, double xMin, double xMax, int columns)
{
    const auto kept = columnExtremes(curve.x, {&curve.y}, xMin, xMax, columns);
    return SeriesCurve{picked(curve.x, kept), picked(curve.y, kept)};
}

SeedBandCurve thinnedBand(const SeedBandCurve &band, double xMin, double xMax, int columns)
{
    const auto kept = columnExtremes(band.x, {&band.mean, &band.low, &band.high}, xMin, xMax, columns);
    return SeedBandCurve{picked(band.x, kept), picked(band.mean, kept), picked(band.low, kept),
                         picked(band.high, kept)};
}

lwb::storage::SeriesQuery windowQuery(const RunSeriesPoints &coarse, CompareAxis axis, double xLow, double xHigh,
                                      std::size_t maxPoints)
{
    lwb::storage::SeriesQuery query;
    query.maxPoints = maxPoints;
    double previous = -std::numeric_limits<double>::infinity();
    for (const auto &point : coarse.points) {
        const double x = xOf(point, axis, coarse.tokens);
        if (!(x >= previous)) // NaN, or x went back: not a function of the step we can invert
            return lwb::storage::SeriesQuery{std::nullopt, std::nullopt, maxPoints};
        previous = x;
    }
    for (const auto &point : coarse.points) {
        const double x = xOf(point, axis, coarse.tokens);
        if (x < xLow)
            query.fromStep = point.step;
        if (x > xHigh && !query.toStep)
            query.toStep = point.step;
    }
    return query;
}

CompareCurveData buildCompareCurves(const std::vector<RunSeriesPoints> &runs,
                                    const std::vector<std::vector<std::size_t>> &groups, int columns)
{
    columns = std::clamp(columns, kMinPlotColumns, kMaxPlotColumns);
    CompareCurveData data;
    for (std::size_t a = 0; a < kCompareAxisCount; ++a) {
        const auto axis = CompareAxis(a);
        std::vector<SeriesCurve> full;
        full.reserve(runs.size());
        for (const auto &run : runs) {
            SeriesCurve curve;
            curve.x.reserve(qsizetype(run.points.size()));
            curve.y.reserve(qsizetype(run.points.size()));
            for (const auto &point : run.points) {
                curve.x << xOf(point, axis, run.tokens);
                curve.y << point.value;
            }
            full.push_back(std::move(curve));
        }
        const auto [xMin, xMax] = xBounds(full);
        auto &out = data.axes[a];
        for (const auto &curve : full)
            out.runs.push_back(thinnedCurve(curve, xMin, xMax, columns));
        for (const auto &group : groups) {
            std::vector<const SeriesCurve *> members;
            for (const std::size_t index : group)
                if (index < full.size())
                    members.push_back(&full[index]);
            out.minMaxBands.push_back(thinnedBand(seedBandOf(members, false), xMin, xMax, columns));
            out.confidenceBands.push_back(thinnedBand(seedBandOf(members, true), xMin, xMax, columns));
        }
    }
    return data;
}

} // namespace lwb::ui
