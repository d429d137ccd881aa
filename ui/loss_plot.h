// LossPlot: the live loss curve of the running job — train loss per step as a
// line, evaluation loss as points — on QCustomPlot.
//
// Metrics may arrive hundreds of times a second; this widget never replots
// per sample. Samples go into two DownsampledSeries (bounded memory, min/max
// buckets) and a refresh timer (~30 Hz by default) copies them into the graphs
// and replots only when a series' revision changed since the last frame.
//
// The view follows the data (x from 0 to the run's total steps, y fitted to the
// loss) until the user drags or zooms; a double-click returns to following.
//
// Smoothing (the slider above the plot) is TensorBoard's: a debiased
// exponential moving average, y_s(i) = m(i) / (1 - w^n(i)) with
// m(i) = w m(i-1) + (1 - w) y(i), over the points on display; the raw curve
// stays visible, faint, behind the smoothed one, so a smoothed curve never
// hides a spike. Log scale applies to the loss axis.
#pragma once

#include "ui/downsampled_series.h"

#include <QTimer>
#include <QWidget>

#include <cstdint>

class QCheckBox;
class QCustomPlot;
class QCPGraph;
class QLabel;
class QSlider;

namespace lwb::ui {

class LossPlot : public QWidget
{
    Q_OBJECT

public:
    static constexpr int kDefaultRefreshHz = 30;

    explicit LossPlot(QWidget *parent = nullptr);

    // Starts a new job's curve: clears both series, sets the x range.
    void startRun(std::int64_t totalSteps);
    void addTrainLoss(double step, double loss);
    void addEvalLoss(double step, double loss);
    void clear();

    // Smoothing weight w in [0, 0.99]; 0 shows the raw curve only.
    void setSmoothing(double weight);
    double smoothing() const { return smoothing_; }
    void setLogScale(bool on);
    bool logScale() const;
    QSlider *smoothingSlider() const { return smoothingSlider_; }
    QCheckBox *logScaleToggle() const { return logScale_; }
    int drawnSmoothedPoints() const;
    double smoothedValueAt(int index) const; // what the smoothed graph draws, for tests

    void setRefreshRate(int hz);
    int refreshRate() const;

    QCustomPlot *plot() const { return plot_; }
    const DownsampledSeries &trainSeries() const { return train_; }
    const DownsampledSeries &evalSeries() const { return eval_; }
    // Points the graphs hold now (what is drawn), and frames drawn so far.
    int drawnTrainPoints() const;
    int drawnEvalPoints() const;
    std::int64_t replotCount() const { return replotCount_; }

private:
    void refresh();
    void redrawSmoothed();
    void fitView();
    QWidget *buildControls();
    bool eventFilter(QObject *watched, QEvent *event) override;

    QCustomPlot *plot_;
    QCPGraph *trainGraph_;
    QCPGraph *smoothedGraph_;
    QSlider *smoothingSlider_;
    QLabel *smoothingLabel_;
    QCheckBox *logScale_;
    double smoothing_ = 0.0;
    QCPGraph *evalGraph_;
    DownsampledSeries train_;
    DownsampledSeries eval_;
    QTimer refreshTimer_;
    std::uint64_t drawnTrainRevision_ = 0;
    std::uint64_t drawnEvalRevision_ = 0;
    std::int64_t totalSteps_ = 0;
    std::int64_t replotCount_ = 0;
    bool followData_ = true;
};

} // namespace lwb::ui
