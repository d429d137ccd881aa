// RoutingView: the live routing dashboard of a mixture run (SiRA): a heatmap
// of expert load (adapted layers x experts, the share of each layer's
// assignments that went to each expert in the latest step) and the routing
// entropy curves (mean per-token entropy and entropy of the mean routing
// distribution, averaged over layers, against log E, the uniform value),
// with the fraction of assignments dropped by capacity beside them. After
// each evaluation a third plot shows the task x expert matrix: for each task
// of the evaluation set, the share of its tokens' assignments per expert.
//
// Like LossPlot it never replots per sample: steps update plain data, and a
// ~30 Hz timer redraws what changed. For a run without a router (LoRA) it
// says so instead of showing empty axes.
#pragma once

#include "engine/train/step_metrics.h"
#include "ui/downsampled_series.h"

#include <QStringList>
#include <QTimer>
#include <QVector>
#include <QWidget>

#include <cstdint>
#include <vector>

class QCustomPlot;
class QCPColorMap;
class QCPGraph;
class QLabel;

namespace lwb::ui {

// A layer's row label: "transformer.h.3.attn.c_proj" -> "3.attn.c_proj" (the
// block number and what follows), shared by the live and the stored views.
QString shortLayerName(const QString &path);

class RoutingView : public QWidget
{
    Q_OBJECT

public:
    explicit RoutingView(QWidget *parent = nullptr);

    void startRun(std::int64_t totalSteps, const QString &variant);
    void addStep(const lwb::StepMetrics &metrics);
    void addEval(const lwb::EvalMetrics &metrics);
    void setRefreshRate(int hz);

    // What is shown, for tests: the latest load of (layer, expert), layer names.
    int layerCount() const { return static_cast<int>(layers_.size()); }
    int expertCount() const { return experts_; }
    double load(int layer, int expert) const;
    const QStringList &layerNames() const { return layers_; }
    const DownsampledSeries &entropySeries() const { return entropy_; }
    const DownsampledSeries &meanEntropySeries() const { return meanEntropy_; }
    const DownsampledSeries &droppedSeries() const { return dropped_; }
    bool showsPlaceholder() const;
    QCustomPlot *heatmapPlot() const { return heatmap_; }
    QCustomPlot *entropyPlot() const { return curves_; }
    QCustomPlot *taskPlot() const { return taskPlot_; }
    const QStringList &taskNames() const { return tasks_; }
    double taskShare(int task, int expert) const;

private:
    void refresh();
    void rebuildHeatmapAxes();
    void drawTaskMatrix();

    QLabel *placeholder_;
    QWidget *plots_;
    QCustomPlot *heatmap_;
    QCPColorMap *colorMap_;
    QCustomPlot *curves_;
    QCPGraph *entropyGraph_;
    QCPGraph *meanEntropyGraph_;
    QCPGraph *droppedGraph_;
    QCPGraph *uniformGraph_;
    QCustomPlot *taskPlot_;
    QCPColorMap *taskMap_;
    QTimer refreshTimer_;

    QStringList layers_;
    int experts_ = 0;
    std::vector<float> loads_; // layer-major, layers_ x experts_
    QStringList tasks_;
    int taskExperts_ = 0;
    std::vector<double> taskShares_; // task-major, tasks_ x taskExperts_
    std::int64_t taskStep_ = 0;
    DownsampledSeries entropy_;
    DownsampledSeries meanEntropy_;
    DownsampledSeries dropped_;
    std::int64_t totalSteps_ = 0;
    std::uint64_t revision_ = 0;
    std::uint64_t drawnRevision_ = 0;
    bool axesStale_ = false;
};

} // namespace lwb::ui
