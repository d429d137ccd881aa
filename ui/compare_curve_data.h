// CompareCurveData: the compare view's curves as plot-ready vectors, built on
// the store's thread so that the GUI thread only hands them to QCustomPlot.
//
// One read of a series gives every run's points with their step, wall time and
// (from train/tokens) tokens seen; from them the builder makes the curves of
// all three x axes at once, so switching the axis, the band kind or "Group by
// seed" redraws without another read. Seed-group bands (seed_band_plot.h) are
// computed from the full-resolution curves, both kinds, before any thinning.
//
// Thinning keeps what a plot of `columns` pixel columns can show and nothing
// less: the x range of an axis (all runs together, so the runs share one grid)
// is cut into `columns` equal columns, and of each column every series keeps
// the point of its lowest and of its highest value, plus the column's first
// NaN (drawn as a gap). A one-step spike is the maximum of its column, so it
// survives; kept points are the original points, in their original order, so
// a series shorter than the plot is wide keeps every point exactly.
//
// Plain values and Qt Core containers; no widgets, so it is tested on its own
// (tests/ui/compare_curve_data_test.cpp).
#pragma once

#include "storage/run_records.h"
#include "ui/seed_band_plot.h"

#include <QVector>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lwb::ui {

// The x axes of the compare view, in CompareView::XAxis order.
enum class CompareAxis { Step = 0, Tokens = 1, WallTime = 2 };
inline constexpr std::size_t kCompareAxisCount = 3;

// One run's series as read from the store, and its train/tokens series (may be
// empty: the tokens axis then has no points for the run).
struct RunSeriesPoints
{
    std::vector<lwb::storage::SeriesPoint> points;
    std::vector<lwb::storage::SeriesPoint> tokens;
};

// What one axis draws: a curve per run, and per seed group its band of each kind.
struct CompareAxisCurves
{
    std::vector<SeriesCurve> runs;
    std::vector<SeedBandCurve> minMaxBands;     // empty when no bands were asked for
    std::vector<SeedBandCurve> confidenceBands; // 95 % CI of the mean
};

struct CompareCurveData
{
    std::array<CompareAxisCurves, kCompareAxisCount> axes;

    const CompareAxisCurves &axis(CompareAxis which) const { return axes[std::size_t(which)]; }
};

// The bounds of the thinning grid: at least a few hundred columns, so a plot
// not yet laid out still gets a fine curve, and never more than a wide screen.
inline constexpr int kMinPlotColumns = 512;
inline constexpr int kMaxPlotColumns = 8192;

// Tokens seen at `step`, interpolated linearly in a run's train/tokens series
// (ascending steps); NaN when the run logged no tokens.
double tokensAtStep(const std::vector<lwb::storage::SeriesPoint> &tokens, std::int64_t step);

// The indices (ascending) of the points that thinning keeps: per column of
// [xMin, xMax] the lowest and highest value of each of `ys` (all as long as
// `x`) and the first NaN of any. Points whose x is not finite are dropped.
std::vector<qsizetype> columnExtremes(const QVector<double> &x, const std::vector<const QVector<double> *> &ys,
                                      double xMin, double xMax, int columns);

// A curve thinned to `columns` columns of [xMin, xMax] (see columnExtremes).
SeriesCurve thinnedCurve(const SeriesCurve &curve, double xMin, double xMax, int columns);
// A band thinned the same way; the mean, low and high edges keep their extremes.
SeedBandCurve thinnedBand(const SeedBandCurve &band, double xMin, double xMax, int columns);

// The read a zoomed plot needs for one run so that its curve covers the
// visible [xLow, xHigh] of `axis`: the steps from the last point left of xLow
// to the first point right of xHigh (the line reaches the plot's edges, and a
// sparse series keeps the segment that crosses the window), found in
// `coarse`, a thinned read of the whole run whose points are stored points in
// ascending steps. Where no coarse point lies left of xLow (right of xHigh)
// the range stays open on that side. On the step axis x is the step; on the
// tokens and wall-time axes the window maps to steps only where x grows with
// the step over the coarse points (tokens seen are a running count; the wall
// clock is seconds since start); where it does not (a run without
// train/tokens, a clock that went back) the query stays the whole range: a
// window of x is then no window of steps, and the run keeps its whole-range,
// coarser curve. maxPoints is the query's point budget (SeriesQuery).
lwb::storage::SeriesQuery windowQuery(const RunSeriesPoints &coarse, CompareAxis axis, double xLow, double xHigh,
                                      std::size_t maxPoints);

// Every axis' curves for `runs`; `groups` lists run indices per seed group
// (bands are made when `groups` is not empty); `columns` is clamped to
// [kMinPlotColumns, kMaxPlotColumns].
CompareCurveData buildCompareCurves(const std::vector<RunSeriesPoints> &runs,
                                    const std::vector<std::vector<std::size_t>> &groups, int columns);

} // namespace lwb::ui
