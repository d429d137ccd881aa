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

    QCustomPlot *plot() const { return plot_; }
    bool isLoading() const { return pendingReads_ > 0; }

Q_SIGNALS:
    void curvesShown(); // a read's curves are on the plot
    void readsDone();   // no read is on its way any more

private:
    void read();
    void draw();
    int plotColumns() const; // pixel columns of the plot, clamped
    bool eventFilter(QObject *watched, QEvent *event) override;

    StoreWorker *store_ = nullptr;
    ComparedRuns runs_;
    QString series_;
    CompareAxis axis_ = CompareAxis::Step;
    bool grouped_ = false;
    bool confidenceInterval_ = false;
    quint64 generation_ = 0;
    std::optional<CompareCurveData> data_; // the last read's curves, every axis
    QString dataSeries_;                   // the series they are of
    int dataColumns_ = 0;                  // the columns they were thinned to
    QTimer rethinTimer_;
    int pendingReads_ = 0;
    QCustomPlot *plot_;
};

} // namespace lwb::ui
