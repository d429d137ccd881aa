// TrainingMetricsView: the live side-curves of the running job, beside the
// loss — learning rate, gradient norm (before clipping), throughput
// (tokens/s) and peak memory (resident memory on CPU, allocated memory on
// CUDA) — as four small plots against the step.
//
// Like LossPlot it stores points in DownsampledSeries (bounded memory) and a
// ~30 Hz timer redraws only the plots whose series changed. Hovering a plot
// shows the nearest point's value. Every plot has the export menu (image,
// CSV) of plot_export.h.
#pragma once

#include "engine/train/step_metrics.h"
#include "ui/downsampled_series.h"

#include <QTimer>
#include <QWidget>

#include <array>
#include <cstdint>

class QCustomPlot;
class QCPGraph;

namespace lwb::ui {

class TrainingMetricsView : public QWidget
{
    Q_OBJECT

public:
    enum Metric { LearningRate, GradientNorm, TokensPerSecond, PeakMemory, MetricCount };

    explicit TrainingMetricsView(QWidget *parent = nullptr);

    void startRun(std::int64_t totalSteps);
    void addStep(const lwb::StepMetrics &metrics);
    void setRefreshRate(int hz);

    QCustomPlot *plot(Metric metric) const { return panels_[metric].plot; }
    const DownsampledSeries &series(Metric metric) const { return panels_[metric].series; }
    int drawnPoints(Metric metric) const;

private:
    struct Panel
    {
        QCustomPlot *plot = nullptr;
        QCPGraph *graph = nullptr;
        DownsampledSeries series{2000};
        std::uint64_t drawnRevision = 0;
    };

    Panel makePanel(const QString &title, const QString &objectName, const QColor &color);
    void refresh();

    std::array<Panel, MetricCount> panels_;
    std::int64_t totalSteps_ = 0;
    QTimer refreshTimer_;
};

} // namespace lwb::ui
