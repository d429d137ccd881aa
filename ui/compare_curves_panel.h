// CompareCurvesPanel: the compare view's curve plot — one series of every run
// (or each seed group's mean with its band) by step, tokens seen or wall time
// — and the reads behind it.
//
// Split from CompareView because the curves are the one part of the view that
// reads on its own schedule: a new series, a wider plot. Each read runs on the
// store's thread (StoreWorker: the GUI thread only draws) and brings the
// curves of every x axis and both band kinds, plot-ready and thinned to the
// plot's pixel columns with each column's min and max kept
// (compare_curve_data.h), so a run of a million steps draws as fast as a short
// one and switching the axis, the band or the grouping reads nothing. A newer
// read supersedes an older one still in flight (generation count).
//
// Zoom: that whole-range read is thinned over the whole run, so a zoom (wheel)
// or drag of the x axis onto 1,000 steps of a 100k-step run would show a few
// points. Once the range has settled (debounced like a resize), the panel
// reads the visible range again at the plot's width, the same way on the
// store thread (windowQuery in compare_curve_data.h maps a tokens or
// wall-time window to steps), and shows it without touching the user's axis
// ranges; a zoom back out over the whole data, a double click (which also
// fits the axes to the curves), another axis, series or set of runs goes back
// to the whole-range read.
#pragma once

#include "ui/compare_curve_data.h"
#include "ui/compare_runs.h"

#include <QTimer>
#include <QWidget>

#include <cstddef>
#include <optional>

class QCustomPlot;

namespace lwb::ui {

class StoreWorker;

class CompareCurvesPanel : public QWidget
{
    Q_OBJECT

public:
    // Points per run and read asked of the store (min/max per bucket), before
    // thinning to the plot's columns.
    static constexpr std::size_t kMaxPointsPerCurve = 4000;

    explicit CompareCurvesPanel(QWidget *parent = nullptr);

    void setStore(StoreWorker *store);
    // The runs and the series to draw; reads them (no runs or no series: an
    // empty plot). The curves on show stay until the new ones arrive.
    void showRuns(const ComparedRuns &runs, const QString &series);
    // Drops the curves read so far and any read in flight (the runs are about
    // to change); the plot keeps what it shows until the next read arrives.
    void dropCurves();
    void setSeries(const QString &series); // reads
    void setAxis(CompareAxis axis);        // redraws
    // Seed groups as mean curves with bands (when the runs have groups);
    // confidenceInterval: the band is the 95 % CI of the mean, else min-max.
    void setBands(bool grouped, bool confidenceInterval);

    // Back to the whole-range curves, the axes fitted to them (a double click).
    void resetZoom();
    // The plot shows a read of its visible x range, not the whole-range read.
    bool isZoomed() const { return window_.has_value(); }

    QCustomPlot *plot() const { return plot_; }
    bool isLoading() const { return pendingReads_ > 0; }

Q_SIGNALS:
    void curvesShown(); // a read's curves are on the plot (the whole range's, or a zoomed window's)
    void readsDone();   // no read is on its way any more

private:
    // A read of the visible x range of one axis (zoom, drag).
    struct Window
    {
        CompareCurveData data;
        CompareAxis axis = CompareAxis::Step;
        int columns = 0;
    };

    void read();
    void readWindow(); // the visible x range, or back to the whole range when it shows all
    void draw(bool fitAxes = true);
    void dropWindow();
    int plotColumns() const;   // pixel columns of the plot, clamped
    bool showsAllData() const; // the visible x range holds every point of the whole-range read
    bool eventFilter(QObject *watched, QEvent *event) override;

    StoreWorker *store_ = nullptr;
    ComparedRuns runs_;
    QString series_;
    CompareAxis axis_ = CompareAxis::Step;
    bool grouped_ = false;
    bool confidenceInterval_ = false;
    quint64 generation_ = 0;               // of the whole-range reads
    quint64 windowGeneration_ = 0;         // of the zoomed reads
    std::optional<CompareCurveData> data_; // the last read's curves, every axis
    QString dataSeries_;                   // the series they are of
    int dataColumns_ = 0;                  // the columns they were thinned to
    std::optional<Window> window_;         // the zoomed read on show, if any
    bool drawing_ = false;                 // draw() is setting the axis ranges
    QTimer rethinTimer_;
    QTimer zoomTimer_;
    int pendingReads_ = 0;
    QCustomPlot *plot_;
};

} // namespace lwb::ui
